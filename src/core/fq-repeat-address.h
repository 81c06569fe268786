/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A matching key for addresses, for the address rule of repeat detection
 * (fq-repeat.h). The same place is written differently by the 110 desk, the
 * 12345 desk and a grid worker: "团城山街道广州路28号3栋" and "广州路28号三栋",
 * "交通路八号" and "交通路8号", "5号楼" and "5栋". On top of
 * fq_repeat_normalize_address() (NFKC, case folding, no whitespace or
 * punctuation), the key:
 *
 *  - drops the administrative divisions a desk may put in front: leading
 *    names ending in 省, 市, 区 (not 小区, 园区, 景区, 校区), 县, 街道, 镇,
 *    乡 or 社区 (居委会), each of 2–8 characters, as long as something is
 *    left;
 *  - writes Chinese numbers (一 … 九十九, 〇, 两) before a unit (号, 栋, 幢,
 *    楼, 单元, 室, 层, 组, 期) in digits;
 *  - spells buildings one way: 幢 and 号楼 become 栋;
 *  - drops one trailing word of position (楼下, 门口, 附近, 旁边, 对面).
 *
 * Addresses that differ in anything else (a compound's name present in one
 * and not the other, another door number) keep different keys: the summary
 * and phone rules link those.
 */

char *fq_repeat_address_key (const char *address);

G_END_DECLS
