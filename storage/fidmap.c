// SPDX-License-Identifier: MIT
// Copyright 2026 The blobby-c authors
//
// storage/fidmap.c -- the fid map: a chained hash table over store__file's
// hnext, grown by doubling, under one read-write lock.  Lookups are per
// read, so they are O(1) and allocate nothing.  The files' own locks and
// states are not touched here.
#include <stdlib.h>

#include "storage/fidmap.h"

#define FIDMAP_MIN_BUCKETS 64

// fidmap_hash is the bucket of fid in a map of nbuckets (a power of two).
static size_t
fidmap_hash(const store_fid *fid, size_t nbuckets)
{
	uint64_t h = 1469598103934665603u; // FNV-1a offset basis
	int      i;

	for (i = 0; i < STORE_FID_LEN; i++) {
		h = (h ^ fid->b[i]) * 1099511628211u;
	}
	return (size_t) (h & (nbuckets - 1));
}

bb_err
store__fidmap_init(store__fidmap *m)
{
	m->buckets  = NULL;
	m->nbuckets = 0;
	m->nfiles   = 0;
	if (pthread_rwlock_init(&m->lock, NULL) != 0) {
		return BB_ENOMEM;
	}
	return BB_OK;
}

void
store__fidmap_fini(store__fidmap *m)
{
	store__file *f;
	store__file *next;
	size_t       i;

	for (i = 0; i < m->nbuckets; i++) {
		for (f = m->buckets[i]; f != NULL; f = next) {
			next     = f->hnext;
			f->hnext = NULL;
			store__file_put(f); // the map's reference
		}
	}
	free(m->buckets);
	m->buckets  = NULL;
	m->nbuckets = 0;
	m->nfiles   = 0;
	// A zeroed lock is PTHREAD_RWLOCK_INITIALIZER on the platforms we
	// build for, so destroying one that init never made is harmless.
	(void) pthread_rwlock_destroy(&m->lock);
}

// fidmap_grow doubles the bucket array; write lock held.
static bb_err
fidmap_grow(store__fidmap *m)
{
	size_t        n = m->nbuckets ? m->nbuckets * 2 : FIDMAP_MIN_BUCKETS;
	store__file **b;
	store__file  *f;
	store__file  *next;
	size_t        i;
	size_t        h;

	b = calloc(n, sizeof(*b));
	if (b == NULL) {
		return BB_ENOMEM;
	}
	for (i = 0; i < m->nbuckets; i++) {
		for (f = m->buckets[i]; f != NULL; f = next) {
			next     = f->hnext;
			h        = fidmap_hash(&f->fid, n);
			f->hnext = b[h];
			b[h]     = f;
		}
	}
	free(m->buckets);
	m->buckets  = b;
	m->nbuckets = n;
	return BB_OK;
}

bb_err
store__fidmap_add(store__fidmap *m, store__file *f)
{
	bb_err rv = BB_OK;
	size_t h;

	(void) pthread_rwlock_wrlock(&m->lock);
	if (m->nfiles >= m->nbuckets) {
		rv = fidmap_grow(m);
		if (rv != BB_OK) {
			goto done;
		}
	}
	h             = fidmap_hash(&f->fid, m->nbuckets);
	f->hnext      = m->buckets[h];
	m->buckets[h] = f;
	m->nfiles++;
done:
	(void) pthread_rwlock_unlock(&m->lock);
	return rv;
}

void
store__fidmap_remove(store__fidmap *m, store__file *f)
{
	store__file **pp;

	(void) pthread_rwlock_wrlock(&m->lock);
	if (m->nbuckets > 0) {
		pp = &m->buckets[fidmap_hash(&f->fid, m->nbuckets)];
		while (*pp != NULL && *pp != f) {
			pp = &(*pp)->hnext;
		}
		if (*pp == f) {
			*pp = f->hnext;
			m->nfiles--;
		}
	}
	f->hnext = NULL;
	(void) pthread_rwlock_unlock(&m->lock);
}

// fidmap_bucket is the chain fid would be in; read or write lock held.
static store__file *
fidmap_bucket(const store__fidmap *m, const store_fid *fid)
{
	if (m->nbuckets == 0) {
		return NULL;
	}
	return m->buckets[fidmap_hash(fid, m->nbuckets)];
}

bool
store__fidmap_has(store__fidmap *m, const store_fid *fid)
{
	store__file *f;
	bool         found = false;

	(void) pthread_rwlock_rdlock(&m->lock);
	for (f = fidmap_bucket(m, fid); f != NULL && !found; f = f->hnext) {
		found = store_fid_equal(&f->fid, fid);
	}
	(void) pthread_rwlock_unlock(&m->lock);
	return found;
}

store__file *
store__fidmap_get(store__fidmap *m, const store_fid *fid, bool replica)
{
	store__file *f;

	(void) pthread_rwlock_rdlock(&m->lock);
	for (f = fidmap_bucket(m, fid); f != NULL; f = f->hnext) {
		if (f->replica == replica && store_fid_equal(&f->fid, fid)) {
			// Under the lock: a removal cannot drop the map's
			// reference before this one is taken.
			store__file_get(f);
			break;
		}
	}
	(void) pthread_rwlock_unlock(&m->lock);
	return f;
}

bb_err
store__fidmap_peek(store__fidmap *m, const store_fid *fid, bool replica,
                   bb_err (*fn)(const store__file *f, void *arg), void *arg)
{
	store__file *f;
	bb_err       rv;

	(void) pthread_rwlock_rdlock(&m->lock);
	for (f = fidmap_bucket(m, fid); f != NULL; f = f->hnext) {
		if (f->replica == replica && store_fid_equal(&f->fid, fid)) {
			break;
		}
	}
	rv = fn(f, arg);
	(void) pthread_rwlock_unlock(&m->lock);
	return rv;
}

void
store__fidmap_rdlock(store__fidmap *m)
{
	(void) pthread_rwlock_rdlock(&m->lock);
}

void
store__fidmap_unlock(store__fidmap *m)
{
	(void) pthread_rwlock_unlock(&m->lock);
}

store__file *
store__fidmap_covering(store__fidmap *m, const store_id *id)
{
	store__file *f;
	store__file *replica = NULL;
	uint64_t     committed;

	// A node that is its own replica holds <fid> and r-<fid>.  Copies
	// are ranked: the primary covering the id wins over a replica,
	// whichever was added last (the chain puts the newest first), so a
	// replica can never shadow its primary's bytes.
	for (f = fidmap_bucket(m, &id->fid); f != NULL; f = f->hnext) {
		if (!store_fid_equal(&f->fid, &id->fid)) {
			continue;
		}
		committed =
		    atomic_load_explicit(&f->committed, memory_order_acquire);
		if (id->start > committed ||
		    id->length > committed - id->start) {
			continue;
		}
		if (!f->replica) {
			return f;
		}
		if (replica == NULL) {
			replica = f;
		}
	}
	return replica;
}

// fidmap_walk calls fn(f, arg) for every file, in bucket order; the
// lock held.  The one loop over the buckets besides grow and fini.
static void
fidmap_walk(store__fidmap *m, void (*fn)(store__file *f, void *arg), void *arg)
{
	store__file *f;
	size_t       i;

	for (i = 0; i < m->nbuckets; i++) {
		for (f = m->buckets[i]; f != NULL; f = f->hnext) {
			fn(f, arg);
		}
	}
}

void
store__fidmap_visit(store__fidmap *m, void (*fn)(store__file *f, void *arg),
                    void          *arg)
{
	(void) pthread_rwlock_rdlock(&m->lock);
	fidmap_walk(m, fn, arg);
	(void) pthread_rwlock_unlock(&m->lock);
}

// What store__fidmap_collect gathers into, through fidmap_walk.
typedef struct {
	bool (*pick)(store__file *f, void *arg);
	void         *arg;
	store__file **v; // nfiles slots, sized under the same lock
	size_t        n;
} fidmap_gather;

static void
fidmap_gather_one(store__file *f, void *arg)
{
	fidmap_gather *g = arg;

	if (g->pick(f, g->arg)) {
		store__file_get(f);
		g->v[g->n++] = f;
	}
}

bb_err
store__fidmap_collect(store__fidmap *m,
                      bool (*pick)(store__file *f, void *arg), void *arg,
                      store__file ***vp, size_t *np)
{
	fidmap_gather g  = { .pick = pick, .arg = arg };
	bb_err        rv = BB_OK;

	// Sized and filled under one hold of the lock, so no file is missed
	// and none overflows.  The allocation is here, off the read path.
	(void) pthread_rwlock_rdlock(&m->lock);
	if (m->nfiles > 0) {
		g.v = malloc(m->nfiles * sizeof(*g.v));
		if (g.v == NULL) {
			rv = BB_ENOMEM;
			goto done;
		}
		fidmap_walk(m, fidmap_gather_one, &g);
	}
done:
	(void) pthread_rwlock_unlock(&m->lock);
	if (rv != BB_OK) {
		return rv;
	}
	if (g.n == 0) {
		free(g.v);
		g.v = NULL;
	}
	*vp = g.v;
	*np = g.n;
	return BB_OK;
}

void
store__fidmap_release(store__file **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		store__file_put(v[i]);
	}
	free(v);
}
