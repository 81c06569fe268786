/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The writer's WAL, written once per transaction: see fq-wal-vfs.h. */

#include "config.h"

#include <string.h>
#include <sqlite3.h>

#include "fq-wal-vfs.h"

#define VFS_NAME          "fq-wal-gather"
#define WAL_HEADER_SIZE   32
#define FRAME_HEADER_SIZE 24
/* A longer run of frames (a migration, a large import) is written in
 * pieces of this size as it comes. */
#define KEPT_LIMIT        (1024 * 1024)
/* The most one write() of the default VFS takes: it masks a larger amount
 * with 0x1ffff (unix seekAndWriteFd()). */
#define WRITE_LIMIT       (124 * 1024)

typedef struct
{
  sqlite3_file   base;
  sqlite3_file  *real;        /* the default VFS's file, after this struct */
  GByteArray    *kept;        /* frames appended and not yet written */
  sqlite3_int64  kept_at;     /* the offset of kept->data[0] */
  sqlite3_int64  end;         /* the end of the last write that extended the
                               * WAL: appends come here; -1: not known yet */
  guint32        page_size;   /* from the WAL's header; 0: not known, and
                               * every write goes to the file at once */
  sqlite3_int64  commit_end;  /* the end of the commit frame being appended;
                               * 0: none */
} WalFile;

/* The default VFS's file lies after ours, aligned. */
#define WAL_FILE_SIZE (((int)sizeof (WalFile) + 7) & ~7)

static sqlite3_vfs  gather_vfs;
static guint64      stat_writes;       /* atomic */
static guint64      stat_file_writes;  /* atomic */

static sqlite3_vfs *
real_vfs (sqlite3_vfs *vfs)
{
  return vfs->pAppData;
}

static guint32
read_be32 (const guint8 *bytes)
{
  return ((guint32)bytes[0] << 24) | ((guint32)bytes[1] << 16) | ((guint32)bytes[2] << 8) | bytes[3];
}

/* The page size a WAL header names, or 0 if @bytes is not one. */
static guint32
header_page_size (const guint8 *bytes)
{
  guint32 magic = read_be32 (bytes);
  guint32 size = read_be32 (bytes + 8);

  if ((magic & 0xfffffffe) != 0x377f0682)
    return 0;
  /* 65536 is written as 1 in the database header, but in full here. */
  if (size < 512 || size > 65536 || (size & (size - 1)) != 0)
    return 0;
  return size;
}

static int
real_write (WalFile       *self,
            const void    *data,
            int            amount,
            sqlite3_int64  offset)
{
  __atomic_add_fetch (&stat_file_writes, 1, __ATOMIC_RELAXED);
  return self->real->pMethods->xWrite (self->real, data, amount, offset);
}

/* Writes what is kept. On an error the frames are dropped: SQLite then
 * rolls the transaction back, and frames past the last commit are never
 * read. */
static int
flush_kept (WalFile *self)
{
  int rc = SQLITE_OK;

  for (guint done = 0; done < self->kept->len && rc == SQLITE_OK; done += WRITE_LIMIT)
    rc = real_write (self, self->kept->data + done, (int)MIN (self->kept->len - done, WRITE_LIMIT),
                     self->kept_at + done);
  g_byte_array_set_size (self->kept, 0);
  return rc;
}

/* ---- the WAL file's methods ---- */

static int
wal_close (sqlite3_file *file)
{
  WalFile *self = (WalFile *)file;
  int rc = flush_kept (self);
  int close_rc = self->real->pMethods->xClose (self->real);

  g_byte_array_unref (self->kept);
  self->kept = NULL;
  return rc != SQLITE_OK ? rc : close_rc;
}

static int
wal_read (sqlite3_file  *file,
          void          *data,
          int            amount,
          sqlite3_int64  offset)
{
  WalFile *self = (WalFile *)file;
  int rc = flush_kept (self);

  if (rc != SQLITE_OK)
    return rc;
  return self->real->pMethods->xRead (self->real, data, amount, offset);
}

static int
wal_write (sqlite3_file  *file,
           const void    *data,
           int            amount,
           sqlite3_int64  offset)
{
  WalFile *self = (WalFile *)file;
  gboolean extends = self->end < 0 || offset + amount > self->end;
  int rc;

  __atomic_add_fetch (&stat_writes, 1, __ATOMIC_RELAXED);

  if (offset == 0)
    {
      /* The WAL starts again from its header, which names the page size. */
      rc = flush_kept (self);
      if (rc == SQLITE_OK)
        rc = real_write (self, data, amount, offset);
      self->page_size = amount >= WAL_HEADER_SIZE ? header_page_size (data) : 0;
      self->end = rc == SQLITE_OK ? amount : -1;
      self->commit_end = 0;
      return rc;
    }

  if (self->page_size != 0 && offset == self->end)
    {
      /* An append: kept. */
      if (self->kept->len == 0)
        self->kept_at = offset;
      g_byte_array_append (self->kept, data, (guint)amount);
      rc = SQLITE_OK;
    }
  else
    {
      /* Anything else, e.g. a frame rewritten in place, goes to the file
       * after what is kept, as it comes. */
      rc = flush_kept (self);
      if (rc == SQLITE_OK)
        rc = real_write (self, data, amount, offset);
      if (rc != SQLITE_OK)
        return rc;
    }
  if (extends)
    self->end = offset + amount;

  /* A new frame's header with a database size marks the frame that commits
   * the transaction. Once it is whole, everything is written, before SQLite
   * publishes the commit. */
  if (extends && self->page_size != 0 && amount == FRAME_HEADER_SIZE &&
      offset >= WAL_HEADER_SIZE &&
      (offset - WAL_HEADER_SIZE) % (FRAME_HEADER_SIZE + self->page_size) == 0 &&
      read_be32 ((const guint8 *)data + 4) != 0)
    self->commit_end = offset + FRAME_HEADER_SIZE + self->page_size;

  if (self->commit_end != 0 && self->end >= self->commit_end)
    {
      self->commit_end = 0;
      return flush_kept (self);
    }
  if (self->kept->len >= KEPT_LIMIT)
    return flush_kept (self);
  return rc;
}

static int
wal_truncate (sqlite3_file  *file,
              sqlite3_int64  size)
{
  WalFile *self = (WalFile *)file;
  int rc = flush_kept (self);

  if (rc != SQLITE_OK)
    return rc;
  if (self->end > size)
    self->end = size;
  return self->real->pMethods->xTruncate (self->real, size);
}

static int
wal_sync (sqlite3_file *file,
          int           flags)
{
  WalFile *self = (WalFile *)file;
  int rc = flush_kept (self);

  if (rc != SQLITE_OK)
    return rc;
  return self->real->pMethods->xSync (self->real, flags);
}

static int
wal_file_size (sqlite3_file  *file,
               sqlite3_int64 *size)
{
  WalFile *self = (WalFile *)file;
  int rc = flush_kept (self);

  if (rc != SQLITE_OK)
    return rc;
  return self->real->pMethods->xFileSize (self->real, size);
}

static int
wal_lock (sqlite3_file *file,
          int           level)
{
  WalFile *self = (WalFile *)file;

  return self->real->pMethods->xLock (self->real, level);
}

static int
wal_unlock (sqlite3_file *file,
            int           level)
{
  WalFile *self = (WalFile *)file;

  return self->real->pMethods->xUnlock (self->real, level);
}

static int
wal_check_reserved_lock (sqlite3_file *file,
                         int          *out)
{
  WalFile *self = (WalFile *)file;

  return self->real->pMethods->xCheckReservedLock (self->real, out);
}

static int
wal_file_control (sqlite3_file *file,
                  int           op,
                  void         *arg)
{
  WalFile *self = (WalFile *)file;
  int rc = flush_kept (self);

  if (rc != SQLITE_OK)
    return rc;
  return self->real->pMethods->xFileControl (self->real, op, arg);
}

static int
wal_sector_size (sqlite3_file *file)
{
  WalFile *self = (WalFile *)file;

  return self->real->pMethods->xSectorSize (self->real);
}

static int
wal_device_characteristics (sqlite3_file *file)
{
  WalFile *self = (WalFile *)file;

  return self->real->pMethods->xDeviceCharacteristics (self->real);
}

/* Version 1: SQLite maps and shares memory through the database file, never
 * through its WAL. */
static const sqlite3_io_methods wal_methods = {
  .iVersion = 1,
  .xClose = wal_close,
  .xRead = wal_read,
  .xWrite = wal_write,
  .xTruncate = wal_truncate,
  .xSync = wal_sync,
  .xFileSize = wal_file_size,
  .xLock = wal_lock,
  .xUnlock = wal_unlock,
  .xCheckReservedLock = wal_check_reserved_lock,
  .xFileControl = wal_file_control,
  .xSectorSize = wal_sector_size,
  .xDeviceCharacteristics = wal_device_characteristics,
};

/* ---- the VFS ---- */

static int
gather_open (sqlite3_vfs  *vfs,
             const char   *name,
             sqlite3_file *file,
             int           flags,
             int          *out_flags)
{
  sqlite3_vfs *real = real_vfs (vfs);
  WalFile *self = (WalFile *)file;
  sqlite3_int64 size = 0;
  int rc;

  /* Any other file is the default VFS's, in the same memory. */
  if ((flags & SQLITE_OPEN_WAL) == 0)
    return real->xOpen (real, name, file, flags, out_flags);

  memset (self, 0, WAL_FILE_SIZE);
  self->real = (sqlite3_file *)((char *)file + WAL_FILE_SIZE);
  rc = real->xOpen (real, name, self->real, flags, out_flags);
  if (rc != SQLITE_OK)
    {
      /* Ours stays without methods, so SQLite does not close it; the
       * default VFS's may have some. */
      if (self->real->pMethods != NULL)
        self->real->pMethods->xClose (self->real);
      return rc;
    }
  self->kept = g_byte_array_sized_new (64 * 1024);
  self->end = -1;
  /* A WAL left with frames: its header says their size. */
  if (self->real->pMethods->xFileSize (self->real, &size) == SQLITE_OK && size >= WAL_HEADER_SIZE)
    {
      guint8 header[WAL_HEADER_SIZE];

      if (self->real->pMethods->xRead (self->real, header, sizeof header, 0) == SQLITE_OK)
        self->page_size = header_page_size (header);
    }
  self->base.pMethods = &wal_methods;
  return SQLITE_OK;
}

static int
gather_delete (sqlite3_vfs *vfs,
               const char  *name,
               int          sync_dir)
{
  return real_vfs (vfs)->xDelete (real_vfs (vfs), name, sync_dir);
}

static int
gather_access (sqlite3_vfs *vfs,
               const char  *name,
               int          flags,
               int         *out)
{
  return real_vfs (vfs)->xAccess (real_vfs (vfs), name, flags, out);
}

static int
gather_full_pathname (sqlite3_vfs *vfs,
                      const char  *name,
                      int          size,
                      char        *out)
{
  return real_vfs (vfs)->xFullPathname (real_vfs (vfs), name, size, out);
}

static void *
gather_dl_open (sqlite3_vfs *vfs,
                const char  *name)
{
  return real_vfs (vfs)->xDlOpen (real_vfs (vfs), name);
}

static void
gather_dl_error (sqlite3_vfs *vfs,
                 int          size,
                 char        *out)
{
  real_vfs (vfs)->xDlError (real_vfs (vfs), size, out);
}

static void (*gather_dl_sym (sqlite3_vfs *vfs,
                             void        *handle,
                             const char  *symbol)) (void)
{
  return real_vfs (vfs)->xDlSym (real_vfs (vfs), handle, symbol);
}

static void
gather_dl_close (sqlite3_vfs *vfs,
                 void        *handle)
{
  real_vfs (vfs)->xDlClose (real_vfs (vfs), handle);
}

static int
gather_randomness (sqlite3_vfs *vfs,
                   int          size,
                   char        *out)
{
  return real_vfs (vfs)->xRandomness (real_vfs (vfs), size, out);
}

static int
gather_sleep (sqlite3_vfs *vfs,
              int          microseconds)
{
  return real_vfs (vfs)->xSleep (real_vfs (vfs), microseconds);
}

static int
gather_current_time (sqlite3_vfs *vfs,
                     double      *out)
{
  return real_vfs (vfs)->xCurrentTime (real_vfs (vfs), out);
}

static int
gather_get_last_error (sqlite3_vfs *vfs,
                       int          size,
                       char        *out)
{
  return real_vfs (vfs)->xGetLastError (real_vfs (vfs), size, out);
}

static int
gather_current_time_int64 (sqlite3_vfs   *vfs,
                           sqlite3_int64 *out)
{
  return real_vfs (vfs)->xCurrentTimeInt64 (real_vfs (vfs), out);
}

const char *
fq_wal_vfs_name (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered))
    {
      sqlite3_vfs *real = sqlite3_vfs_find (NULL);

      gather_vfs = (sqlite3_vfs) {
        .iVersion = 2,
        .szOsFile = WAL_FILE_SIZE + real->szOsFile,
        .mxPathname = real->mxPathname,
        .zName = VFS_NAME,
        .pAppData = real,
        .xOpen = gather_open,
        .xDelete = gather_delete,
        .xAccess = gather_access,
        .xFullPathname = gather_full_pathname,
        .xDlOpen = gather_dl_open,
        .xDlError = gather_dl_error,
        .xDlSym = gather_dl_sym,
        .xDlClose = gather_dl_close,
        .xRandomness = gather_randomness,
        .xSleep = gather_sleep,
        .xCurrentTime = gather_current_time,
        .xGetLastError = gather_get_last_error,
        .xCurrentTimeInt64 = gather_current_time_int64,
      };
      if (sqlite3_vfs_register (&gather_vfs, 0) != SQLITE_OK)
        g_error ("cannot register the SQLite VFS %s", VFS_NAME);
      g_once_init_leave (&registered, 1);
    }
  return VFS_NAME;
}

void
fq_wal_vfs_stats (FqWalVfsStats *stats)
{
  stats->writes = __atomic_load_n (&stat_writes, __ATOMIC_RELAXED);
  stats->file_writes = __atomic_load_n (&stat_file_writes, __ATOMIC_RELAXED);
}
