/* SPDX-License-Identifier: MIT */
/*
 * The LRU behind LRU_HASH and LRU_PERCPU_HASH, after the kernel's design
 * (kernel/bpf/bpf_lru_list.c): a fixed set of nodes, one per element the
 * map may hold, moving between free, active and inactive lists.
 *
 * Common LRU: one global list (active, inactive, free) under one lock, and
 * per CPU slot a local free list and a pending list (nodes handed out but
 * not yet seen by the global list), so most pops take only the slot's lock.
 * With BPF_F_NO_COMMON_LRU each CPU slot has its own global-style list.
 *
 * The owner (maps/hash.c) keeps a reference byte in each element, set by
 * program-side lookups; the LRU reads and clears it through node->owner.
 * Evicting asks the owner to unlink the element (the del callback).
 */
#ifndef UEBPF_LRU_H
#define UEBPF_LRU_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#ifndef UEBPF_HIDDEN
#define UEBPF_HIDDEN __attribute__((visibility("hidden")))
#endif

static inline void uebpf_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* A small spinlock for short list operations.  It yields after a while, so
 * a holder the scheduler preempted does not cost a whole time slice. */
struct uebpf_spin {
	atomic_int v;
};

static inline void uebpf_spin_lock(struct uebpf_spin *l)
{
	unsigned int n = 0;

	for (;;) {
		if (!atomic_load_explicit(&l->v, memory_order_relaxed) &&
		    !atomic_exchange_explicit(&l->v, 1, memory_order_acquire))
			return;
		if (++n < 256)
			uebpf_cpu_relax();
		else
			sched_yield();
	}
}

static inline void uebpf_spin_unlock(struct uebpf_spin *l)
{
	atomic_store_explicit(&l->v, 0, memory_order_release);
}

enum uebpf_lru_type {
	/* Lists of the global (or per-CPU) LRU list. */
	UEBPF_LRU_ACTIVE,
	UEBPF_LRU_INACTIVE,
	UEBPF_LRU_FREE,
	/* Lists of a CPU slot's local lists (common LRU only). */
	UEBPF_LRU_LOCAL_FREE,
	UEBPF_LRU_LOCAL_PENDING,
};

struct uebpf_lru_node {
	struct uebpf_lru_node *prev, *next;
	void *owner;  /* the element it holds; NULL while free */
	uint16_t cpu; /* local list (common) or list (per-CPU) it belongs to */
	uint8_t type; /* enum uebpf_lru_type; read unlocked by push_free */
};

struct uebpf_lru_list {
	struct uebpf_lru_node heads[3];	      /* ACTIVE, INACTIVE, FREE */
	unsigned int counts[2];		      /* ACTIVE, INACTIVE */
	struct uebpf_lru_node *next_rotation; /* inactive scan resumes here */
	struct uebpf_spin lock;
} __attribute__((aligned(64)));

struct uebpf_lru_loc {
	struct uebpf_lru_node free, pending;
	atomic_uint next_steal;
	struct uebpf_spin lock;
} __attribute__((aligned(64)));

/* Unlinks node->owner from the table if it is still there. */
typedef bool (*uebpf_lru_del_fn)(void *arg, struct uebpf_lru_node *node);

struct uebpf_lru {
	struct uebpf_lru_list *lists; /* 1 (common) or nr_cpus (per-CPU) */
	struct uebpf_lru_loc *locs;   /* common only: one per CPU slot */
	uebpf_lru_del_fn del;
	void *del_arg;
	uint32_t ref_off; /* the reference byte: (u8 *)owner + ref_off */
	unsigned int nr_cpus;
	unsigned int nr_scans;
	unsigned int target_free;
	bool percpu;
};

int uebpf_lru_init(struct uebpf_lru *lru, bool percpu, unsigned int nr_cpus,
		   uint32_t ref_off, uebpf_lru_del_fn del,
		   void *del_arg) UEBPF_HIDDEN;
void uebpf_lru_destroy(struct uebpf_lru *lru) UEBPF_HIDDEN;
/* Puts nodes[0..nr) on the free list(s); per-CPU LRUs get nr / nr_cpus
 * nodes each. */
void uebpf_lru_populate(struct uebpf_lru *lru, struct uebpf_lru_node *nodes,
			uint32_t nr) UEBPF_HIDDEN;
/* A node for a new element, evicting older ones if none is free; NULL only
 * when every node is busy elsewhere.  owner is recorded under the lock. */
struct uebpf_lru_node *uebpf_lru_pop_free(struct uebpf_lru *lru,
					  unsigned int cpu,
					  void *owner) UEBPF_HIDDEN;
/* Gives back the node of an element the owner has unlinked (or never
 * linked). */
void uebpf_lru_push_free(struct uebpf_lru *lru,
			 struct uebpf_lru_node *node) UEBPF_HIDDEN;

#endif /* UEBPF_LRU_H */
