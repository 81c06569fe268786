/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "fq-refdata.h"

G_BEGIN_DECLS

/*
 * The category hint (`suggested_category` of an incident): which of the
 * responsibility list's categories a call is most likely about, from its
 * summary and description, in Chinese.
 *
 * The model is a multinomial naive Bayes classifier over character
 * unigrams, bigrams and trigrams (Chinese has no spaces and the project uses
 * no word segmenter; character n-grams capture words such as 噪音, 物业费 and
 * 加装电梯 without one). It is trained when loaded, in a few milliseconds,
 * from data/category-examples.json (labelled call summaries) and from the
 * categories' names and keywords, with a uniform prior and Laplace smoothing.
 * The raw naive-Bayes posterior is far too sure of itself (it multiplies
 * dependent n-gram probabilities), so the scores are divided by a
 * temperature fitted at load time by 5-fold cross-validation on the training
 * examples (minimum log loss): the confidences are calibrated posteriors.
 *
 * Danger words (data/danger-words.txt: violence, weapons, threats to life,
 * self-harm, crime in progress, mass incidents) override the model: when one
 * occurs in the summary or the description, the first suggestion is a
 * police-only category with confidence 1 (the model's best category if it
 * is police-only, else the most likely of the categories the matched words
 * are filed under), and `danger` is set with the matched words, so that the
 * operator sees why.
 *
 * Measured on the held-out split of the examples (243 of 972, the model
 * trained on the other 729): top-1 0.786, top-3 0.942, right group 0.893;
 * tests/core/test-hint.c prints the figures and a reliability table.
 *
 * An FqCategoryHint is immutable once built: any thread may call
 * fq_category_hint_suggest() on it at the same time.
 */

#define FQ_TYPE_CATEGORY_HINT (fq_category_hint_get_type ())

typedef struct _FqCategoryHint FqCategoryHint;

typedef enum
{
  FQ_CATEGORY_HINT_NONE       = 0,
  /* Train on the examples of split "train" only, so that the examples of
   * split "test" are held out (the tests measure accuracy this way). By
   * default every example trains the model. */
  FQ_CATEGORY_HINT_TRAIN_ONLY = 1 << 0,
} FqCategoryHintFlags;

typedef struct
{
  const char *code;        /* a category code, owned by the hint */
  double      confidence;  /* calibrated posterior, 0 … 1 */
} FqCategorySuggestion;

GType           fq_category_hint_get_type        (void) G_GNUC_CONST;

FqCategoryHint *fq_category_hint_new             (FqRefData            *refdata,
                                                  const char           *examples_path,
                                                  const char           *danger_words_path,
                                                  FqCategoryHintFlags   flags,
                                                  GError              **error);
/* Loads category-examples.json and danger-words.txt from @datadir. */
FqCategoryHint *fq_category_hint_new_from_dir    (FqRefData            *refdata,
                                                  const char           *datadir,
                                                  GError              **error);
FqCategoryHint *fq_category_hint_ref             (FqCategoryHint       *self);
void            fq_category_hint_unref           (FqCategoryHint       *self);

guint           fq_category_hint_suggest         (FqCategoryHint       *self,
                                                  const char           *summary,
                                                  const char           *description,
                                                  guint                 n,
                                                  FqCategorySuggestion *results,
                                                  gboolean             *danger,
                                                  GStrv                *danger_words);
/* The danger words found in @text (normalised as for matching), in file
 * order, each once; an empty array if none. */
GStrv           fq_category_hint_find_danger     (FqCategoryHint       *self,
                                                  const char           *text);
/* `{"code", "confidence", "danger", "danger_words"}` for the best
 * suggestion, or NULL when there is nothing to suggest. */
JsonNode       *fq_category_hint_suggest_json    (FqCategoryHint       *self,
                                                  const char           *summary,
                                                  const char           *description);

/* The danger-word patterns as loaded (pattern text, `*` included), and the
 * police category each is assigned to; for tests and the console's help. */
guint           fq_category_hint_get_n_danger_words (FqCategoryHint    *self);
const char     *fq_category_hint_get_danger_word    (FqCategoryHint    *self,
                                                     guint              i,
                                                     const char       **category);
/* The temperature fitted by cross-validation (1 = raw naive Bayes). */
double          fq_category_hint_get_temperature (FqCategoryHint       *self);
/* The number of examples that trained the model. */
guint           fq_category_hint_get_n_trained   (FqCategoryHint       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FqCategoryHint, fq_category_hint_unref)

G_END_DECLS
