/* SPDX-License-Identifier: MIT */
#include <linux/membarrier.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

struct uebpf_retired {
	struct uebpf_retired *next;
	void *p;
	void (*fn)(void *);
	uint64_t tag; /* global epoch when retired */
};

bool uebpf_epoch_need_fence = true;
static pthread_once_t membarrier_once = PTHREAD_ONCE_INIT;
static atomic_uint_fast64_t next_gen = 1;

static void membarrier_setup(void)
{
	long cmds = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0);

	if (cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
	    !syscall(__NR_membarrier,
		     MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0))
		uebpf_epoch_need_fence = false;
}

static void heavy_barrier(void)
{
	if (uebpf_epoch_need_fence ||
	    syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0))
		atomic_thread_fence(memory_order_seq_cst);
}

int uebpf_epoch_init(struct uebpf_epoch *e)
{
	pthread_once(&membarrier_once, membarrier_setup);
	atomic_init(&e->global, 1);
	atomic_init(&e->recs, NULL);
	e->retired = NULL;
	e->nr_retired = 0;
	e->gen = atomic_fetch_add(&next_gen, 1);
	return pthread_mutex_init(&e->lock, NULL) ? -ENOMEM : 0;
}

/* Frees everything retired, including what those frees retire in turn
 * (an outer map putting its inner maps).  No reader may be left. */
static void drain(struct uebpf_epoch *e)
{
	struct uebpf_retired *d, *dn;

	for (;;) {
		pthread_mutex_lock(&e->lock);
		d = e->retired;
		e->retired = NULL;
		e->nr_retired = 0;
		pthread_mutex_unlock(&e->lock);
		if (!d)
			return;
		for (; d; d = dn) {
			dn = d->next;
			d->fn(d->p);
			free(d);
		}
	}
}

void uebpf_epoch_drain(struct uebpf_epoch *e)
{
	drain(e);
}

void uebpf_epoch_fini(struct uebpf_epoch *e)
{
	struct uebpf_epoch_rec *r = atomic_load(&e->recs), *rn;

	drain(e);
	for (; r; r = rn) {
		rn = r->next;
		free(r);
	}
	pthread_mutex_destroy(&e->lock);
}

/* The calling thread's record: cached per thread for the last few
 * runtimes, claimed from the list (or added to it) on first use. */
#define REC_CACHE 4
static __thread struct {
	uint64_t gen;
	struct uebpf_epoch_rec *rec;
} rec_cache[REC_CACHE];

struct uebpf_epoch_rec *uebpf_epoch_rec(struct uebpf_epoch *e)
{
	struct uebpf_epoch_rec *r, *head;
	pthread_t self = pthread_self();
	unsigned int slot = e->gen % REC_CACHE;

	if (likely(rec_cache[slot].gen == e->gen))
		return rec_cache[slot].rec;
	/* A miss (first use, or another runtime took the slot): the
	 * thread's record is on the list, unless it never had one.  A record
	 * whose thread exited is quiescent, so a new thread that got the same
	 * pthread_t may take it over: the list stays as long as the number
	 * of distinct live thread ids, not the number of misses. */
	for (r = atomic_load(&e->recs); r; r = r->next)
		if (pthread_equal(r->owner, self))
			goto found;
	r = calloc(1, sizeof(*r));
	if (!r)
		abort(); /* a 40-byte allocation; nothing sane to do */
	atomic_init(&r->epoch, 0);
	r->owner = self;
	head = atomic_load(&e->recs);
	do
		r->next = head;
	while (!atomic_compare_exchange_weak(&e->recs, &head, r));
found:
	rec_cache[slot].gen = e->gen;
	rec_cache[slot].rec = r;
	return r;
}

/* The oldest epoch a reader is in, or UINT64_MAX when none is. */
static uint64_t oldest_reader(struct uebpf_epoch *e)
{
	struct uebpf_epoch_rec *r;
	uint64_t min = UINT64_MAX, v;

	heavy_barrier();
	for (r = atomic_load(&e->recs); r; r = r->next) {
		v = atomic_load_explicit(&r->epoch, memory_order_acquire);
		if (v && v < min)
			min = v;
	}
	return min;
}

size_t uebpf_epoch_reclaim(struct uebpf_epoch *e)
{
	struct uebpf_retired *d, **pp, *done = NULL;
	uint64_t oldest;
	size_t left;

	pthread_mutex_lock(&e->lock);
	if (!e->retired) {
		pthread_mutex_unlock(&e->lock);
		return 0;
	}
	oldest = oldest_reader(e);
	for (pp = &e->retired; (d = *pp);) {
		if (d->tag < oldest) {
			*pp = d->next;
			d->next = done;
			done = d;
			e->nr_retired--;
		} else {
			pp = &d->next;
		}
	}
	left = e->nr_retired;
	pthread_mutex_unlock(&e->lock);
	/* Free outside the lock: fn may retire more. */
	while ((d = done)) {
		done = d->next;
		d->fn(d->p);
		free(d);
	}
	return left;
}

void uebpf_epoch_retire(struct uebpf_epoch *e, void *p, void (*fn)(void *))
{
	struct uebpf_retired *d = malloc(sizeof(*d));
	size_t n;

	if (!d) {
		/* No memory to remember it: wait it out instead, unless the
		 * caller is itself a reader (a program deleting an element),
		 * who would wait for itself: then p is leaked, the lesser
		 * harm when memory has run out. */
		if (uebpf_epoch_rec(e)->depth)
			return;
		uebpf_epoch_synchronize(e);
		fn(p);
		return;
	}
	d->p = p;
	d->fn = fn;
	pthread_mutex_lock(&e->lock);
	d->tag = atomic_fetch_add(&e->global, 1);
	d->next = e->retired;
	e->retired = d;
	n = ++e->nr_retired;
	pthread_mutex_unlock(&e->lock);
	if (n % 64 == 0)
		uebpf_epoch_reclaim(e);
}

void uebpf_epoch_synchronize(struct uebpf_epoch *e)
{
	uint64_t target = atomic_fetch_add(&e->global, 1);

	while (oldest_reader(e) <= target)
		sched_yield();
	uebpf_epoch_reclaim(e);
}
