/* SPDX-License-Identifier: MIT */
/*
 * Epoch-based reclamation: memory a running program (or a host lookup) may
 * still point to is retired, not freed, and freed once every thread that
 * might have seen it has left its read section.
 *
 * Read sections are cheap on purpose (they wrap every packet): entering
 * stores the global epoch in the thread's record with no fence; the
 * reclaimer issues membarrier(2) before it scans the records, which makes
 * every reader's store visible (liburcu's "membarrier" flavour).  Where
 * membarrier is missing, readers fall back to a full fence.
 */
#ifndef UEBPF_EPOCH_H
#define UEBPF_EPOCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <stdbool.h>
#include <stddef.h>

#ifndef UEBPF_HIDDEN
#define UEBPF_HIDDEN __attribute__((visibility("hidden")))
#endif

struct uebpf_epoch_rec;
struct uebpf_retired;

struct uebpf_epoch {
	atomic_uint_fast64_t global;
	_Atomic(struct uebpf_epoch_rec *) recs; /* never shrinks */
	pthread_mutex_t lock;			/* retired list */
	struct uebpf_retired *retired;
	size_t nr_retired;
	uint64_t gen; /* distinguishes runtimes in the thread caches */
};

struct uebpf_epoch_rec {
	atomic_uint_fast64_t epoch; /* 0: outside any read section */
	unsigned int depth;
	pthread_t owner; /* the thread using it; records outlive threads */
	struct uebpf_epoch_rec *next;
};

int uebpf_epoch_init(struct uebpf_epoch *e) UEBPF_HIDDEN;
/* Frees everything still retired; no reader may be left. */
void uebpf_epoch_fini(struct uebpf_epoch *e) UEBPF_HIDDEN;
/* The same without tearing down: for a runtime about to check what is
 * still held. */
void uebpf_epoch_drain(struct uebpf_epoch *e) UEBPF_HIDDEN;

struct uebpf_epoch_rec *uebpf_epoch_rec(struct uebpf_epoch *e) UEBPF_HIDDEN;
extern bool uebpf_epoch_need_fence UEBPF_HIDDEN;

static inline struct uebpf_epoch_rec *uebpf_epoch_enter(struct uebpf_epoch *e)
{
	struct uebpf_epoch_rec *r = uebpf_epoch_rec(e);

	if (r->depth++ == 0) {
		/* acquire: what this reader loads next cannot be older than
		 * the epoch it announces (free on x86, needed on arm64). */
		atomic_store_explicit(&r->epoch,
				      atomic_load_explicit(&e->global,
							   memory_order_acquire),
				      memory_order_relaxed);
		if (uebpf_epoch_need_fence)
			atomic_thread_fence(memory_order_seq_cst);
		else
			atomic_signal_fence(memory_order_seq_cst);
	}
	return r;
}

static inline void uebpf_epoch_exit(struct uebpf_epoch_rec *r)
{
	if (--r->depth == 0)
		atomic_store_explicit(&r->epoch, 0, memory_order_release);
}

/* Calls fn(p) once no reader can hold p.  p must already be unreachable
 * for new readers. */
void uebpf_epoch_retire(struct uebpf_epoch *e, void *p, void (*fn)(void *))
	UEBPF_HIDDEN;
/* Frees what can be freed now; returns how many remain retired. */
size_t uebpf_epoch_reclaim(struct uebpf_epoch *e) UEBPF_HIDDEN;
/* Waits until everything retired before the call is freed (host side
 * only: never from inside a read section). */
void uebpf_epoch_synchronize(struct uebpf_epoch *e) UEBPF_HIDDEN;

#endif /* UEBPF_EPOCH_H */
