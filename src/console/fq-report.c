/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * FqReport lays out a list of blocks (headings, paragraphs, label–value
 * fields, tables, figures) on A4 pages and draws them with Pango on a cairo
 * context: a PDF surface for export, a GtkPrintContext for printing.
 *
 * Layout is done in two steps. paginate() measures every block with the
 * context's Pango font map and cuts the flow into pages, producing a list of
 * placed pieces per page (a paragraph line, a fields row, a table row, a
 * figure), so that nothing but a table row or a figure is ever split across
 * pages by accident; tables repeat their header on each new page.
 * draw_page() then draws the pieces of one page. The blocks are immutable
 * once the report is handed to the worker thread that writes the PDF.
 */

#define G_LOG_DOMAIN "fq-report"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include "fq-city-time.h"
#include "fq-report.h"

/* A4 in points, and the margins (20 mm). */
#define PAGE_WIDTH    595.276
#define PAGE_HEIGHT   841.89
#define MARGIN        56.7
#define HEADER_HEIGHT 22.0
#define FOOTER_HEIGHT 22.0
#define CELL_PAD      4.0

/* Fonts that carry simplified Chinese first, then whatever fontconfig has. */
#define FONT_FAMILY "Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, sans-serif"

typedef enum {
  BLOCK_HEADING,
  BLOCK_PARAGRAPH,
  BLOCK_FIELDS,
  BLOCK_TABLE,
  BLOCK_FIGURE,
} BlockKind;

typedef struct {
  BlockKind         kind;
  char             *text;        /* heading, paragraph */
  GStrv             pairs;       /* fields: label, value, … */
  guint             n_columns;   /* table */
  GStrv             headers;
  double           *weights;
  GPtrArray        *rows;        /* (element-type GStrv) */
  double            height;      /* figure */
  FqReportDrawFunc  draw;
  gpointer          draw_data;
  GDestroyNotify    draw_notify;
} Block;

typedef enum {
  PIECE_LINE,       /* one line of a paragraph or heading */
  PIECE_FIELDS_ROW,
  PIECE_TABLE_ROW,
  PIECE_FIGURE,
} PieceKind;

typedef struct {
  PieceKind   kind;
  double      y;
  double      height;
  const Block *block;
  PangoLayout *layout;       /* line: its paragraph's layout */
  int          line;         /* line: index in layout */
  double       baseline;     /* line: offset of the baseline from y */
  GPtrArray   *cells;        /* row: (element-type PangoLayout) */
  gboolean     header;       /* table row: the header */
} Piece;

struct _FqReport
{
  GObject    parent_instance;

  char      *title;
  char      *subtitle;
  char      *made_at;
  GPtrArray *blocks;   /* (element-type Block) */
};

G_DEFINE_FINAL_TYPE (FqReport, fq_report, G_TYPE_OBJECT)

static void
block_free (gpointer data)
{
  Block *block = data;

  g_free (block->text);
  g_strfreev (block->pairs);
  g_strfreev (block->headers);
  g_free (block->weights);
  g_clear_pointer (&block->rows, g_ptr_array_unref);
  if (block->draw_notify != NULL)
    block->draw_notify (block->draw_data);
  g_free (block);
}

static void
piece_free (gpointer data)
{
  Piece *piece = data;

  g_clear_object (&piece->layout);
  g_clear_pointer (&piece->cells, g_ptr_array_unref);
  g_free (piece);
}

static void
fq_report_finalize (GObject *object)
{
  FqReport *self = (FqReport *)object;

  g_free (self->title);
  g_free (self->subtitle);
  g_free (self->made_at);
  g_ptr_array_unref (self->blocks);

  G_OBJECT_CLASS (fq_report_parent_class)->finalize (object);
}

static void
fq_report_class_init (FqReportClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fq_report_finalize;
}

static void
fq_report_init (FqReport *self)
{
  g_autoptr(GDateTime) now = fq_city_now ();

  self->blocks = g_ptr_array_new_with_free_func (block_free);
  /* TRANSLATORS: when a printed report was made; a strftime format. */
  self->made_at = g_date_time_format (now, _("%Y-%m-%d %H:%M"));
}

FqReport *
fq_report_new (const char *title)
{
  FqReport *self = g_object_new (FQ_TYPE_REPORT, NULL);

  self->title = g_strdup (title != NULL ? title : "");

  return self;
}

void
fq_report_set_subtitle (FqReport   *self,
                        const char *subtitle)
{
  g_return_if_fail (FQ_IS_REPORT (self));

  g_free (self->subtitle);
  self->subtitle = g_strdup (subtitle);
}

static Block *
add_block (FqReport  *self,
           BlockKind  kind)
{
  Block *block = g_new0 (Block, 1);

  block->kind = kind;
  g_ptr_array_add (self->blocks, block);

  return block;
}

void
fq_report_add_heading (FqReport   *self,
                       const char *text)
{
  g_return_if_fail (FQ_IS_REPORT (self));

  add_block (self, BLOCK_HEADING)->text = g_strdup (text != NULL ? text : "");
}

void
fq_report_add_paragraph (FqReport   *self,
                         const char *text)
{
  g_return_if_fail (FQ_IS_REPORT (self));

  add_block (self, BLOCK_PARAGRAPH)->text = g_strdup (text != NULL ? text : "");
}

void
fq_report_add_fields (FqReport           *self,
                      const char * const *pairs)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_if_fail (FQ_IS_REPORT (self));
  g_return_if_fail (pairs != NULL);

  /* The pairs are label, value; a NULL value would end the vector, so the
   * caller passes "" or NULL only as values — NULL labels end the list. */
  for (guint i = 0; pairs[i] != NULL; i += 2)
    {
      const char *value = pairs[i + 1];

      g_strv_builder_add (builder, pairs[i]);
      g_strv_builder_add (builder, value != NULL && value[0] != '\0' ? value : "—");
      if (value == NULL)
        break;
    }

  add_block (self, BLOCK_FIELDS)->pairs = g_strv_builder_end (builder);
}

void
fq_report_add_table (FqReport           *self,
                     guint               n_columns,
                     const char * const *headers,
                     const double       *weights,
                     GPtrArray          *rows)
{
  Block *block;

  g_return_if_fail (FQ_IS_REPORT (self));
  g_return_if_fail (n_columns > 0);
  g_return_if_fail (headers != NULL);

  block = add_block (self, BLOCK_TABLE);
  block->n_columns = n_columns;
  block->headers = g_new0 (char *, n_columns + 1);
  block->weights = g_new0 (double, n_columns);
  for (guint c = 0; c < n_columns; c++)
    {
      block->headers[c] = g_strdup (headers[c] != NULL ? headers[c] : "");
      block->weights[c] = weights != NULL && weights[c] > 0 ? weights[c] : 1.0;
    }

  block->rows = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);
  for (guint r = 0; rows != NULL && r < rows->len; r++)
    {
      char **src = g_ptr_array_index (rows, r);
      char **copy = g_new0 (char *, n_columns + 1);

      for (guint c = 0; c < n_columns; c++)
        copy[c] = g_strdup (src[c] != NULL ? src[c] : "");
      g_ptr_array_add (block->rows, copy);
    }
}

void
fq_report_add_figure (FqReport         *self,
                      double            height,
                      FqReportDrawFunc  draw,
                      gpointer          user_data,
                      GDestroyNotify    notify)
{
  Block *block;

  g_return_if_fail (FQ_IS_REPORT (self));
  g_return_if_fail (draw != NULL);

  block = add_block (self, BLOCK_FIGURE);
  block->height = MAX (height, 10.0);
  block->draw = draw;
  block->draw_data = user_data;
  block->draw_notify = notify;
}

/* ---- layout ---- */

typedef struct {
  PangoContext *pango;
  double        width;        /* of the text area */
  double        top;          /* first y of the text area on a page */
  double        bottom;       /* last y of the text area */
  double        y;
  GPtrArray    *pages;        /* (element-type GPtrArray (element-type Piece)) */
  GPtrArray    *page;
} Flow;

static PangoLayout *
make_layout (Flow       *flow,
             const char *text,
             double      width,
             double      size,
             gboolean    bold)
{
  PangoLayout *layout = pango_layout_new (flow->pango);
  g_autoptr(PangoFontDescription) desc = pango_font_description_from_string (FONT_FAMILY);

  pango_font_description_set_size (desc, (int)(size * PANGO_SCALE));
  if (bold)
    pango_font_description_set_weight (desc, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (layout, desc);
  pango_layout_set_width (layout, (int)(width * PANGO_SCALE));
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_text (layout, text, -1);

  return layout;
}

static double
layout_height (PangoLayout *layout)
{
  int h;

  pango_layout_get_size (layout, NULL, &h);

  return (double)h / PANGO_SCALE;
}

static void
new_page (Flow *flow)
{
  flow->page = g_ptr_array_new_with_free_func (piece_free);
  g_ptr_array_add (flow->pages, flow->page);
  flow->y = flow->top;
}

/* Makes room for @height, starting a new page if it does not fit (unless
 * the page is still empty: then it is placed and may overflow). */
static void
need (Flow   *flow,
      double  height)
{
  if (flow->y + height > flow->bottom && flow->y > flow->top)
    new_page (flow);
}

static Piece *
place (Flow      *flow,
       PieceKind  kind,
       double     height)
{
  Piece *piece = g_new0 (Piece, 1);

  need (flow, height);
  piece->kind = kind;
  piece->y = flow->y;
  piece->height = height;
  flow->y += height;
  g_ptr_array_add (flow->page, piece);

  return piece;
}

static void
place_text (Flow        *flow,
            const Block *block,
            const char  *text,
            double       size,
            gboolean     bold,
            double       space_before,
            double       space_after)
{
  g_autoptr(PangoLayout) layout = make_layout (flow, text, flow->width, size, bold);
  PangoLayoutIter *iter;
  int line = 0;

  if (flow->y > flow->top)
    flow->y += space_before;
  /* A heading never ends a page alone. */
  if (bold)
    need (flow, layout_height (layout) + 3 * size);

  iter = pango_layout_get_iter (layout);
  do
    {
      PangoRectangle logical;
      Piece *piece;

      pango_layout_iter_get_line_extents (iter, NULL, &logical);
      piece = place (flow, PIECE_LINE, (double)logical.height / PANGO_SCALE);
      piece->block = block;
      piece->layout = g_object_ref (layout);
      piece->line = line++;
      piece->baseline = (double)(pango_layout_iter_get_baseline (iter) - logical.y) / PANGO_SCALE;
    }
  while (pango_layout_iter_next_line (iter));
  pango_layout_iter_free (iter);

  flow->y += space_after;
}

static void
place_fields (Flow        *flow,
              const Block *block)
{
  double label_width = flow->width * 0.24;
  double value_width = flow->width - label_width - CELL_PAD;

  flow->y += 4;
  for (guint i = 0; block->pairs[i] != NULL && block->pairs[i + 1] != NULL; i += 2)
    {
      g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func (g_object_unref);
      PangoLayout *label = make_layout (flow, block->pairs[i], label_width, 9.5, TRUE);
      PangoLayout *value = make_layout (flow, block->pairs[i + 1], value_width, 9.5, FALSE);
      Piece *piece;

      g_ptr_array_add (cells, label);
      g_ptr_array_add (cells, value);
      piece = place (flow, PIECE_FIELDS_ROW,
                     MAX (layout_height (label), layout_height (value)) + 3);
      piece->block = block;
      piece->cells = g_steal_pointer (&cells);
    }
  flow->y += 6;
}

static Piece *
place_table_row (Flow        *flow,
                 const Block *block,
                 char       **texts,
                 gboolean     header)
{
  g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func (g_object_unref);
  double total = 0, height = 0;
  Piece *piece;

  for (guint c = 0; c < block->n_columns; c++)
    total += block->weights[c];
  for (guint c = 0; c < block->n_columns; c++)
    {
      double w = flow->width * block->weights[c] / total - 2 * CELL_PAD;
      PangoLayout *cell = make_layout (flow, texts[c], MAX (w, 10), 9, header);

      height = MAX (height, layout_height (cell));
      g_ptr_array_add (cells, cell);
    }

  piece = g_new0 (Piece, 1);
  piece->kind = PIECE_TABLE_ROW;
  piece->block = block;
  piece->header = header;
  piece->height = height + 2 * CELL_PAD;
  piece->cells = g_steal_pointer (&cells);

  return piece;
}

static void
add_piece (Flow  *flow,
           Piece *piece)
{
  piece->y = flow->y;
  flow->y += piece->height;
  g_ptr_array_add (flow->page, piece);
}

static void
place_table (Flow        *flow,
             const Block *block)
{
  Piece *header = place_table_row (flow, block, block->headers, TRUE);
  double header_height = header->height;

  flow->y += 4;
  /* The header and at least one row together. */
  need (flow, header_height * 2);
  add_piece (flow, header);

  for (guint r = 0; r < block->rows->len; r++)
    {
      Piece *row = place_table_row (flow, block, g_ptr_array_index (block->rows, r), FALSE);

      if (flow->y + row->height > flow->bottom && flow->y > flow->top + header_height)
        {
          new_page (flow);
          add_piece (flow, place_table_row (flow, block, block->headers, TRUE));
        }
      add_piece (flow, row);
    }
  flow->y += 8;
}

/* (transfer full) (element-type GPtrArray): the pages. */
static GPtrArray *
paginate (FqReport     *self,
          PangoContext *pango,
          double        width,
          double        height)
{
  Flow flow = { 0 };

  flow.pango = pango;
  flow.width = width - 2 * MARGIN;
  flow.top = MARGIN + HEADER_HEIGHT;
  flow.bottom = height - MARGIN - FOOTER_HEIGHT;
  flow.pages = g_ptr_array_new_with_free_func ((GDestroyNotify)g_ptr_array_unref);
  new_page (&flow);

  place_text (&flow, NULL, self->title, 17, TRUE, 0, 2);
  if (self->subtitle != NULL && self->subtitle[0] != '\0')
    place_text (&flow, NULL, self->subtitle, 10, FALSE, 0, 6);

  for (guint i = 0; i < self->blocks->len; i++)
    {
      const Block *block = g_ptr_array_index (self->blocks, i);

      switch (block->kind)
        {
        case BLOCK_HEADING:
          place_text (&flow, block, block->text, 12.5, TRUE, 10, 4);
          break;

        case BLOCK_PARAGRAPH:
          place_text (&flow, block, block->text, 10, FALSE, 2, 4);
          break;

        case BLOCK_FIELDS:
          place_fields (&flow, block);
          break;

        case BLOCK_TABLE:
          place_table (&flow, block);
          break;

        case BLOCK_FIGURE:
          {
            Piece *piece;

            flow.y += 4;
            piece = place (&flow, PIECE_FIGURE, block->height);
            piece->block = block;
            flow.y += 6;
          }
          break;

        default:
          g_assert_not_reached ();
        }
    }

  return flow.pages;
}

static void
draw_small_text (cairo_t      *cr,
                 PangoContext *pango,
                 const char   *text,
                 double        x,
                 double        y,
                 double        width,
                 PangoAlignment align)
{
  g_autoptr(PangoLayout) layout = pango_layout_new (pango);
  g_autoptr(PangoFontDescription) desc = pango_font_description_from_string (FONT_FAMILY);

  pango_font_description_set_size (desc, 8 * PANGO_SCALE);
  pango_layout_set_font_description (layout, desc);
  pango_layout_set_width (layout, (int)(width * PANGO_SCALE));
  pango_layout_set_alignment (layout, align);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_text (layout, text, -1);
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
}

static void
draw_page (FqReport     *self,
           cairo_t      *cr,
           PangoContext *pango,
           GPtrArray    *pages,
           guint         index,
           double        width,
           double        height)
{
  GPtrArray *page = g_ptr_array_index (pages, index);
  double text_width = width - 2 * MARGIN;
  g_autofree char *footer = NULL;

  cairo_save (cr);

  /* Header: the title, and a hairline. */
  cairo_set_source_rgb (cr, 0.35, 0.35, 0.38);
  draw_small_text (cr, pango, self->title, MARGIN, MARGIN - 4, text_width, PANGO_ALIGN_LEFT);
  cairo_set_line_width (cr, 0.5);
  cairo_move_to (cr, MARGIN, MARGIN + HEADER_HEIGHT - 8);
  cairo_line_to (cr, width - MARGIN, MARGIN + HEADER_HEIGHT - 8);
  cairo_stroke (cr);

  /* Footer: "page N of M" and when the report was made. */
  /* TRANSLATORS: the footer of a printed page: page %u of %u */
  footer = g_strdup_printf (_("Page %u of %u"), index + 1, pages->len);
  draw_small_text (cr, pango, footer, MARGIN, height - MARGIN - 10, text_width, PANGO_ALIGN_RIGHT);
  draw_small_text (cr, pango, self->made_at, MARGIN, height - MARGIN - 10, text_width, PANGO_ALIGN_LEFT);

  for (guint i = 0; i < page->len; i++)
    {
      Piece *piece = g_ptr_array_index (page, i);

      cairo_set_source_rgb (cr, 0.1, 0.1, 0.12);

      switch (piece->kind)
        {
        case PIECE_LINE:
          cairo_move_to (cr, MARGIN, piece->y + piece->baseline);
          pango_cairo_show_layout_line (cr, pango_layout_get_line_readonly (piece->layout, piece->line));
          break;

        case PIECE_FIELDS_ROW:
          cairo_set_source_rgb (cr, 0.35, 0.35, 0.38);
          cairo_move_to (cr, MARGIN, piece->y);
          pango_cairo_show_layout (cr, g_ptr_array_index (piece->cells, 0));
          cairo_set_source_rgb (cr, 0.1, 0.1, 0.12);
          cairo_move_to (cr, MARGIN + text_width * 0.24 + CELL_PAD, piece->y);
          pango_cairo_show_layout (cr, g_ptr_array_index (piece->cells, 1));
          break;

        case PIECE_TABLE_ROW:
          {
            const Block *block = piece->block;
            double total = 0, x = MARGIN;

            for (guint c = 0; c < block->n_columns; c++)
              total += block->weights[c];

            if (piece->header)
              {
                cairo_set_source_rgb (cr, 0.92, 0.93, 0.95);
                cairo_rectangle (cr, MARGIN, piece->y, text_width, piece->height);
                cairo_fill (cr);
              }
            cairo_set_source_rgb (cr, 0.75, 0.76, 0.8);
            cairo_set_line_width (cr, 0.4);
            cairo_move_to (cr, MARGIN, piece->y + piece->height);
            cairo_line_to (cr, width - MARGIN, piece->y + piece->height);
            cairo_stroke (cr);

            cairo_set_source_rgb (cr, 0.1, 0.1, 0.12);
            for (guint c = 0; c < block->n_columns; c++)
              {
                cairo_move_to (cr, x + CELL_PAD, piece->y + CELL_PAD);
                pango_cairo_show_layout (cr, g_ptr_array_index (piece->cells, c));
                x += text_width * block->weights[c] / total;
              }
          }
          break;

        case PIECE_FIGURE:
          cairo_save (cr);
          cairo_translate (cr, MARGIN, piece->y);
          cairo_rectangle (cr, 0, 0, text_width, piece->height);
          cairo_clip (cr);
          piece->block->draw (cr, text_width, piece->height, piece->block->draw_data);
          cairo_restore (cr);
          break;

        default:
          g_assert_not_reached ();
        }
    }

  cairo_restore (cr);
}

static PangoContext *
create_pango_context (cairo_t *cr)
{
  PangoContext *pango = pango_cairo_create_context (cr);
  cairo_font_options_t *options = cairo_font_options_create ();

  /* Metrics independent of the screen, so that pages break the same way
   * in the PDF and on paper. */
  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options (pango, options);
  cairo_font_options_destroy (options);
  pango_context_set_language (pango, pango_language_from_string ("zh-cn"));

  return pango;
}

gboolean
fq_report_write_pdf (FqReport    *self,
                     const char  *path,
                     GError     **error)
{
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;
  PangoContext *pango;
  g_autoptr(GPtrArray) pages = NULL;

  g_return_val_if_fail (FQ_IS_REPORT (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  surface = cairo_pdf_surface_create (path, PAGE_WIDTH, PAGE_HEIGHT);
  cr = cairo_create (surface);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, self->title);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "Fengqiao");

  pango = create_pango_context (cr);
  pages = paginate (self, pango, PAGE_WIDTH, PAGE_HEIGHT);
  for (guint i = 0; i < pages->len; i++)
    {
      draw_page (self, cr, pango, pages, i, PAGE_WIDTH, PAGE_HEIGHT);
      cairo_show_page (cr);
    }

  g_object_unref (pango);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);

  if (status != CAIRO_STATUS_SUCCESS)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR,
                   status == CAIRO_STATUS_WRITE_ERROR ? g_io_error_from_errno (saved_errno) : G_IO_ERROR_FAILED,
                   _("Could not write the PDF file: %s"), cairo_status_to_string (status));
      return FALSE;
    }

  return TRUE;
}

static void
write_pdf_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GFile *file = task_data;
  g_autofree char *path = g_file_get_path (file);
  GError *error = NULL;

  if (path == NULL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                             _("The PDF can only be saved to a local folder."));
  else if (!fq_report_write_pdf (source_object, path, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
fq_report_write_pdf_async (FqReport            *self,
                           GFile               *file,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FQ_IS_REPORT (self));
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fq_report_write_pdf_async);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, write_pdf_thread);
}

gboolean
fq_report_write_pdf_finish (FqReport      *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- saving through a file chooser ---- */

static void
save_written_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!fq_report_write_pdf_finish (FQ_REPORT (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
save_chosen_cb (GtkNativeDialog *dialog,
                int              response,
                gpointer         user_data)
{
  g_autoptr(GTask) outer = user_data;
  FqReport *self = g_task_get_source_object (outer);
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);

  if (file == NULL)
    {
      g_task_return_new_error (outer, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               _("Saving was cancelled."));
      return;
    }

  fq_report_write_pdf_async (self, file, g_task_get_cancellable (outer),
                             save_written_cb, g_object_ref (outer));
}

void
fq_report_save_pdf_async (FqReport            *self,
                          GtkWindow           *parent,
                          const char          *suggested_name,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  GTask *task;

  g_return_if_fail (FQ_IS_REPORT (self));

  /* The outer task finishes with fq_report_write_pdf_finish (). */
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fq_report_write_pdf_async);

  chooser = gtk_file_chooser_native_new (_("Save as PDF"), parent,
                                         GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_filter_set_name (filter, _("PDF documents"));
  gtk_file_filter_add_mime_type (filter, "application/pdf");
  gtk_file_filter_add_suffix (filter, "pdf");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  if (suggested_name != NULL)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), suggested_name);

  g_signal_connect (chooser, "response", G_CALLBACK (save_chosen_cb), task);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* ---- printing ---- */

typedef struct {
  FqReport  *report;
  GPtrArray *pages;
} PrintData;

static void
print_data_free (gpointer data)
{
  PrintData *pd = data;

  g_clear_pointer (&pd->pages, g_ptr_array_unref);
  g_object_unref (pd->report);
  g_free (pd);
}

static void
begin_print_cb (GtkPrintOperation *operation,
                GtkPrintContext   *context,
                PrintData         *pd)
{
  PangoContext *pango = create_pango_context (gtk_print_context_get_cairo_context (context));

  g_clear_pointer (&pd->pages, g_ptr_array_unref);
  pd->pages = paginate (pd->report, pango,
                        gtk_print_context_get_width (context),
                        gtk_print_context_get_height (context));
  g_object_unref (pango);
  gtk_print_operation_set_n_pages (operation, pd->pages->len);
}

static void
draw_page_cb (GtkPrintOperation *operation,
              GtkPrintContext   *context,
              int                page_nr,
              PrintData         *pd)
{
  cairo_t *cr = gtk_print_context_get_cairo_context (context);
  PangoContext *pango;

  if (pd->pages == NULL || page_nr < 0 || (guint)page_nr >= pd->pages->len)
    return;

  pango = create_pango_context (cr);
  draw_page (pd->report, cr, pango, pd->pages, page_nr,
             gtk_print_context_get_width (context),
             gtk_print_context_get_height (context));
  g_object_unref (pango);
}

gboolean
fq_report_print (FqReport   *self,
                 GtkWindow  *parent,
                 GError    **error)
{
  g_autoptr(GtkPrintOperation) operation = gtk_print_operation_new ();
  g_autoptr(GtkPageSetup) setup = gtk_page_setup_new ();
  g_autoptr(GtkPaperSize) a4 = gtk_paper_size_new (GTK_PAPER_NAME_A4);
  PrintData *pd = g_new0 (PrintData, 1);
  GtkPrintOperationResult result;

  g_return_val_if_fail (FQ_IS_REPORT (self), FALSE);

  pd->report = g_object_ref (self);

  /* The page is laid out edge to edge: the report draws its own margins. */
  gtk_page_setup_set_paper_size (setup, a4);
  gtk_page_setup_set_top_margin (setup, 0, GTK_UNIT_POINTS);
  gtk_page_setup_set_bottom_margin (setup, 0, GTK_UNIT_POINTS);
  gtk_page_setup_set_left_margin (setup, 0, GTK_UNIT_POINTS);
  gtk_page_setup_set_right_margin (setup, 0, GTK_UNIT_POINTS);
  gtk_print_operation_set_default_page_setup (operation, setup);
  gtk_print_operation_set_use_full_page (operation, TRUE);
  gtk_print_operation_set_unit (operation, GTK_UNIT_POINTS);
  gtk_print_operation_set_job_name (operation, self->title);
  gtk_print_operation_set_allow_async (operation, TRUE);
  gtk_print_operation_set_embed_page_setup (operation, TRUE);

  g_signal_connect (operation, "begin-print", G_CALLBACK (begin_print_cb), pd);
  g_signal_connect (operation, "draw-page", G_CALLBACK (draw_page_cb), pd);
  g_object_set_data_full (G_OBJECT (operation), "fq-print-data", pd, print_data_free);

  result = gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG,
                                    parent, error);

  return result != GTK_PRINT_OPERATION_RESULT_ERROR;
}
