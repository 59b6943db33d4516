/* SPDX-License-Identifier: MIT */
/*
 * Hash maps: HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH, HASH_OF_MAPS and
 * DEVMAP_HASH, all on one table.
 *
 * A bucket is a chain of elements.  Readers walk it with acquire loads and
 * take no lock; writers lock the bucket (bit 0 of its head pointer) and
 * publish with release stores.  Updating an existing key puts a new
 * element in the old one's place with one store, so a reader finds one or
 * the other, whole; per-CPU maps update in place, as the kernel's do.
 *
 * An unlinked element is not reused before an epoch grace period: each
 * CPU slot collects them and retires them in batches through the runtime's
 * epoch, after which they return to the map's pool (or are freed, when
 * they were malloc'ed).  So a value pointer a program holds stays the
 * value it found until the program returns, and a chain never leads a
 * reader into another bucket.  The LRU (lru.c) reuses its nodes at once,
 * as the kernel does, but a node only names an element: the element's
 * memory goes through the grace period like any other.
 *
 * Preallocated maps get max_entries elements plus a few spares up front,
 * charged at creation; fullness is counted (-E2BIG at max_entries linked
 * elements), not inferred from the pool.  When every spare still waits
 * for its grace period (a program replacing keys in a loop, say), an
 * element is borrowed from malloc and freed after its own grace period,
 * so what succeeds never depends on timing.  BPF_F_NO_PREALLOC elements
 * are malloc'ed and charged one by one, and uncharged as they leave.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#include "hash.h"
#include "lru.h"

#define HTAB_CREATE_FLAGS                                                      \
	(BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE |           \
	 BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG | \
	 BPF_F_ZERO_SEED)
#define DEVMAP_CREATE_FLAGS (BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY)

/* The kernel's limits on x86-64: KMALLOC_MAX_SIZE, sizeof(struct
 * htab_elem) and PCPU_MIN_UNIT_SIZE. */
#define KERNEL_KMALLOC_MAX   (4u << 20)
#define KERNEL_HTAB_ELEM     48u
#define KERNEL_PCPU_MIN_UNIT (32u << 10)

/* Elements a CPU slot collects before retiring them in one go. */
#define RETIRE_BATCH 32

enum htab_kind {
	HT_HASH,
	HT_PERCPU,
	HT_LRU,
	HT_LRU_PERCPU,
	HT_OF_MAPS,
	HT_DEVMAP
};

enum elem_flags {
	ELEM_MALLOC = 1,  /* malloc'ed, not from the pool: free() it */
	ELEM_CHARGED = 2, /* BPF_F_NO_PREALLOC: uncharge when unlinked */
};

struct htab_elem {
	_Atomic(struct htab_elem *) next;
	uint32_t hash;
	uint8_t ref; /* LRU: looked up since the last scan */
	uint8_t flags;
	uint16_t unused;
	union {
		struct uebpf_lru_node *node; /* LRU: its node */
		struct htab_elem *link;	     /* free or retire list */
	};
	/* The key, rounded up to 8 bytes, then the value; per-CPU maps keep
	 * a pointer to CPU 0's value there instead. */
	uint64_t key[];
};

/* DEVMAP_HASH values: struct bpf_devmap_val, and the program it holds. */
struct devmap_val {
	uint32_t ifindex;
	uint32_t prog_id;
	struct uebpf_prog *prog;
};

struct pool_slot {
	struct uebpf_spin lock;
	atomic_uint nr_retire;
	struct htab_elem *free;	  /* ready for reuse */
	struct htab_elem *retire; /* unlinked, not yet retired */
} __attribute__((aligned(64)));

/*
 * Element memory.  Outlives its map while retired batches are in flight,
 * hence its own reference count.  Preallocated elements are handed out in
 * address order first (so untouched ones cost nothing), then reused.
 */
struct pool {
	atomic_int refs;     /* the map, and each batch in flight */
	atomic_int inflight; /* batches retired and not yet back */
	struct uebpf_runtime *rt;
	uint8_t *elems;
	uint64_t elems_bytes;
	uint8_t *pcpu; /* per-CPU values of the pool's elements */
	uint64_t pcpu_bytes;
	uint64_t cap;
	atomic_uint_fast64_t bump; /* elements handed out at least once */
	uint32_t elem_size;	   /* a pool element */
	uint32_t malloc_size;	   /* a malloc'ed one (per-CPU values inline) */
	uint32_t val_off;
	uint32_t vsz8;
	uint64_t charge; /* BPF_F_NO_PREALLOC: bytes charged per element */
	bool percpu;
	atomic_uint steal_hint;
	unsigned int nr_slots;
	struct pool_slot slots[];
};

struct retire_batch {
	struct pool *pool;
	struct htab_elem *head;
	unsigned int slot;
};

struct htab {
	struct uebpf_map map;
	_Atomic uintptr_t *buckets; /* bit 0: the bucket's writer lock */
	uint32_t mask;		    /* buckets - 1 */
	uint32_t ksz8;		    /* key_size rounded up to 8 */
	uint32_t vsz8;	/* value bytes in an element; per-CPU: one CPU's */
	uint32_t vcopy; /* bytes an update stores: value_size, or internal */
	enum htab_kind kind;
	bool prealloc, percpu, is_lru;
	uint64_t seed0, seed1;
	uint64_t pcpu_stride; /* pool elements: CPU n's value is n strides on */
	atomic_uint count;    /* elements linked (not kept for LRUs) */
	uint64_t buckets_bytes;
	struct pool *pool;
	struct uebpf_lru lru;
	struct uebpf_lru_node *nodes;
};

#define LOCK_BIT ((uintptr_t)1)

static struct htab *to_htab(const struct uebpf_map *map)
{
	return (struct htab *)map;
}

static void *elem_val(const struct htab *h, struct htab_elem *e)
{
	return (uint8_t *)e->key + h->ksz8;
}

static void *elem_pcpu(const struct htab *h, struct htab_elem *e,
		       unsigned int cpu)
{
	uint8_t *p = *(uint8_t **)elem_val(h, e);

	return p + (uint64_t)cpu *
			   (e->flags & ELEM_MALLOC ? h->vsz8 : h->pcpu_stride);
}

/* ---- hashing ------------------------------------------------------------- */

#define HK0 0x9e3779b97f4a7c15ull
#define HK1 0xc2b2ae3d27d4eb4full
#define HK2 0xd6e8feb86659fd93ull

static inline uint64_t rotl64(uint64_t x, unsigned int r)
{
	return (x << r) | (x >> (64 - r));
}

/* Each key word goes through an odd multiply (a bijection) with a seed,
 * so no class of keys collapses; the fold brings high bits down to the
 * bucket index. */
static inline uint32_t hash_fold(uint64_t x)
{
	x ^= x >> 32;
	x *= HK2;
	x ^= x >> 29;
	return (uint32_t)x;
}

static inline __attribute__((always_inline)) uint32_t
hash_key(const struct htab *h, const void *key, uint32_t ks)
{
	const uint8_t *p = key;
	uint64_t a, b, x;
	uint32_t w;

	switch (ks) {
	case 4: memcpy(&w, p, 4); return hash_fold((w ^ h->seed0) * HK0);
	case 8: memcpy(&a, p, 8); return hash_fold((a ^ h->seed0) * HK0);
	case 16:
		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		x = ((a ^ h->seed0) * HK0) ^ rotl64((b ^ h->seed1) * HK1, 31);
		return hash_fold(x);
	}
	x = h->seed0 ^ ((uint64_t)ks * HK1);
	for (; ks >= 8; ks -= 8, p += 8) {
		memcpy(&a, p, 8);
		x = rotl64(x ^ (a * HK0), 29) * HK1;
	}
	if (ks) {
		a = 0;
		memcpy(&a, p, ks);
		x = rotl64(x ^ ((a ^ h->seed1) * HK0), 29) * HK1;
	}
	return hash_fold(x);
}

static void seed_htab(struct htab *h)
{
	uint64_t s[2];
	struct timespec ts;

	if (h->map.map_flags & BPF_F_ZERO_SEED) {
		h->seed0 = h->seed1 = 0;
		return;
	}
	if (getrandom(s, sizeof(s), GRND_NONBLOCK) != sizeof(s)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		s[0] = (uint64_t)ts.tv_nsec * HK0 ^ (uintptr_t)h;
		s[1] = rotl64(s[0], 17) * HK1 ^ (uint64_t)ts.tv_sec;
	}
	h->seed0 = s[0];
	h->seed1 = s[1];
}

/* ---- buckets ------------------------------------------------------------- */

static inline _Atomic uintptr_t *bucket_of(const struct htab *h, uint32_t hash)
{
	return &h->buckets[hash & h->mask];
}

static inline struct htab_elem *bucket_first(_Atomic uintptr_t *b)
{
	return (struct htab_elem *)(atomic_load_explicit(b,
							 memory_order_acquire) &
				    ~LOCK_BIT);
}

static inline struct htab_elem *elem_next(struct htab_elem *e)
{
	return atomic_load_explicit(&e->next, memory_order_acquire);
}

/* Takes the bucket's lock; returns its first element. */
static struct htab_elem *bucket_lock(_Atomic uintptr_t *b)
{
	unsigned int n = 0;
	uintptr_t v;

	for (;;) {
		v = atomic_load_explicit(b, memory_order_relaxed);
		if (!(v & LOCK_BIT) &&
		    atomic_compare_exchange_weak_explicit(b, &v, v | LOCK_BIT,
							  memory_order_acquire,
							  memory_order_relaxed))
			return (struct htab_elem *)v;
		if (++n < 256)
			uebpf_cpu_relax();
		else
			sched_yield();
	}
}

/* Makes head the first element, the lock still held. */
static void bucket_publish(_Atomic uintptr_t *b, struct htab_elem *head)
{
	atomic_store_explicit(b, (uintptr_t)head | LOCK_BIT,
			      memory_order_release);
}

static void bucket_unlock(_Atomic uintptr_t *b, struct htab_elem *head)
{
	atomic_store_explicit(b, (uintptr_t)head, memory_order_release);
}

static inline __attribute__((always_inline)) struct htab_elem *
chain_find(struct htab_elem *e, uint32_t hash, const void *key, uint32_t ks)
{
	for (; e; e = elem_next(e))
		if (e->hash == hash && !memcmp(e->key, key, ks))
			return e;
	return NULL;
}

/* e is on the locked chain starting at head; returns the new head.  A
 * reader standing on e keeps going through e->next, which stays. */
static struct htab_elem *
chain_unlink(_Atomic uintptr_t *b, struct htab_elem *head, struct htab_elem *e)
{
	struct htab_elem *next = elem_next(e), *p;

	if (head == e) {
		bucket_publish(b, next);
		return next;
	}
	for (p = head; elem_next(p) != e; p = elem_next(p))
		;
	atomic_store_explicit(&p->next, next, memory_order_release);
	return head;
}

/* Puts e in old's place with one store: a reader anywhere on the chain
 * meets the key, old or new, and a walk keeps its position.  (The kernel
 * links the new element at the head, then unlinks the old: a reader past
 * the head in between finds neither.) */
static struct htab_elem *chain_replace(_Atomic uintptr_t *b,
				       struct htab_elem *head,
				       struct htab_elem *old,
				       struct htab_elem *e)
{
	struct htab_elem *p;

	atomic_store_explicit(&e->next, elem_next(old), memory_order_relaxed);
	if (head == old) {
		bucket_publish(b, e);
		return e;
	}
	for (p = head; elem_next(p) != old; p = elem_next(p))
		;
	atomic_store_explicit(&p->next, e, memory_order_release);
	return head;
}

static void chain_push(_Atomic uintptr_t *b, struct htab_elem *head,
		       struct htab_elem *e)
{
	atomic_store_explicit(&e->next, head, memory_order_relaxed);
	bucket_publish(b, e);
}

/* Specialised for the common key sizes, so the compare is a load or two. */
#define FIND_KS(h, key, ks, hashp)                                      \
	do {                                                            \
		*(hashp) = hash_key(h, key, ks);                        \
		return chain_find(bucket_first(bucket_of(h, *(hashp))), \
				  *(hashp), key, ks);                   \
	} while (0)

static __attribute__((noinline)) struct htab_elem *
find_any_size(const struct htab *h, const void *key, uint32_t *hash)
{
	FIND_KS(h, key, h->map.key_size, hash);
}

static inline __attribute__((always_inline)) struct htab_elem *
htab_find(const struct htab *h, const void *key, uint32_t *hash)
{
	switch (h->map.key_size) {
	case 4: FIND_KS(h, key, 4, hash);
	case 8: FIND_KS(h, key, 8, hash);
	case 16: FIND_KS(h, key, 16, hash);
	default: return find_any_size(h, key, hash);
	}
}

/* Out of line, for callers whose key is a scalar of the right size: an
 * inlined htab_find makes the compiler worry about its other cases. */
static __attribute__((noinline)) struct htab_elem *
htab_find_ool(const struct htab *h, const void *key)
{
	uint32_t hash;

	return htab_find(h, key, &hash);
}

static uint32_t htab_hash(const struct htab *h, const void *key)
{
	switch (h->map.key_size) {
	case 4: return hash_key(h, key, 4);
	case 8: return hash_key(h, key, 8);
	case 16: return hash_key(h, key, 16);
	default: return hash_key(h, key, h->map.key_size);
	}
}

static struct htab_elem *find_locked(const struct htab *h,
				     struct htab_elem *head, uint32_t hash,
				     const void *key)
{
	return chain_find(head, hash, key, h->map.key_size);
}

/* ---- element memory ------------------------------------------------------ */

static void pool_uncharge(struct pool *p, uint64_t bytes)
{
	atomic_fetch_sub(&p->rt->mem_used, bytes);
}

static void pool_put(struct pool *p)
{
	if (atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	uebpf_map_unreserve(p->elems, p->elems_bytes);
	uebpf_map_unreserve(p->pcpu, p->pcpu_bytes);
	free(p);
}

/* Frees a malloc'ed element no reader can reach any more.  Its charge
 * was given back when it left the table. */
static void elem_destroy(struct pool *p, struct htab_elem *e)
{
	(void)p;
	free(e);
}

/* A BPF_F_NO_PREALLOC element is uncharged as it leaves the table, not
 * when its memory is freed a grace period later: what fits under the
 * limit then never depends on timing. */
static void elem_uncharge(struct pool *p, struct htab_elem *e)
{
	if (e->flags & ELEM_CHARGED)
		pool_uncharge(p, p->charge);
}

static void slot_push_free(struct pool *p, unsigned int s,
			   struct htab_elem *first, struct htab_elem *last)
{
	struct pool_slot *sl = &p->slots[s];

	uebpf_spin_lock(&sl->lock);
	last->link = __atomic_load_n(&sl->free, __ATOMIC_RELAXED);
	__atomic_store_n(&sl->free, first, __ATOMIC_RELAXED);
	uebpf_spin_unlock(&sl->lock);
}

static struct htab_elem *slot_pop_free(struct pool *p, unsigned int s)
{
	struct pool_slot *sl = &p->slots[s];
	struct htab_elem *e;

	if (!__atomic_load_n(&sl->free, __ATOMIC_RELAXED))
		return NULL;
	uebpf_spin_lock(&sl->lock);
	e = __atomic_load_n(&sl->free, __ATOMIC_RELAXED);
	if (e)
		__atomic_store_n(&sl->free, e->link, __ATOMIC_RELAXED);
	uebpf_spin_unlock(&sl->lock);
	return e;
}

static struct htab_elem *pool_bump(struct pool *p)
{
	uint64_t i = atomic_load_explicit(&p->bump, memory_order_relaxed);
	struct htab_elem *e;

	do {
		if (i >= p->cap)
			return NULL;
	} while (!atomic_compare_exchange_weak(&p->bump, &i, i + 1));
	e = (struct htab_elem *)(p->elems + i * p->elem_size);
	e->flags = 0;
	if (p->percpu)
		*(uint8_t **)((uint8_t *)e + p->val_off) =
			p->pcpu + i * p->vsz8;
	return e;
}

static struct htab_elem *pool_steal(struct pool *p, unsigned int self)
{
	unsigned int i,
		s = atomic_load_explicit(&p->steal_hint, memory_order_relaxed);
	struct htab_elem *e;

	for (i = 0; i < p->nr_slots; i++, s = s + 1 < p->nr_slots ? s + 1 : 0) {
		if (s == self)
			continue;
		e = slot_pop_free(p, s);
		if (e) {
			atomic_store_explicit(&p->steal_hint, s,
					      memory_order_relaxed);
			return e;
		}
	}
	return NULL;
}

static void batch_done(void *arg)
{
	struct retire_batch *b = arg;
	struct pool *p = b->pool;
	struct htab_elem *e, *next, *first = NULL, *last = NULL;

	for (e = b->head; e; e = next) {
		next = e->link;
		if (e->flags & ELEM_MALLOC) {
			elem_destroy(p, e);
			continue;
		}
		e->link = first;
		first = e;
		if (!last)
			last = e;
	}
	if (first)
		slot_push_free(p, b->slot, first, last);
	atomic_fetch_sub(&p->inflight, 1);
	free(b);
	pool_put(p);
}

/* Retires what the slot collected.  Never called with a lock held: the
 * epoch may run other batches' callbacks from here. */
static void pool_flush(struct pool *p, unsigned int s)
{
	struct pool_slot *sl = &p->slots[s];
	struct retire_batch *b;
	struct htab_elem *chain, *e;

	uebpf_spin_lock(&sl->lock);
	chain = sl->retire;
	sl->retire = NULL;
	atomic_store_explicit(&sl->nr_retire, 0, memory_order_relaxed);
	uebpf_spin_unlock(&sl->lock);
	if (!chain)
		return;
	b = malloc(sizeof(*b));
	if (!b) {
		/* Keep them for the next flush. */
		for (e = chain; e->link; e = e->link)
			;
		uebpf_spin_lock(&sl->lock);
		e->link = sl->retire;
		sl->retire = chain;
		uebpf_spin_unlock(&sl->lock);
		return;
	}
	b->pool = p;
	b->head = chain;
	b->slot = s;
	atomic_fetch_add(&p->refs, 1);
	atomic_fetch_add(&p->inflight, 1);
	uebpf_epoch_retire(&p->rt->epoch, b, batch_done);
}

/* first..last (linked through ->link) were unlinked: they wait for a grace
 * period before reuse. */
static void pool_retire_chain(struct pool *p, unsigned int s,
			      struct htab_elem *first, struct htab_elem *last,
			      unsigned int n)
{
	struct pool_slot *sl = &p->slots[s];

	uebpf_spin_lock(&sl->lock);
	last->link = sl->retire;
	sl->retire = first;
	/* Only changed under the lock: no read-modify-write needed. */
	atomic_store_explicit(
		&sl->nr_retire,
		atomic_load_explicit(&sl->nr_retire, memory_order_relaxed) + n,
		memory_order_relaxed);
	uebpf_spin_unlock(&sl->lock);
}

static void pool_retire(struct pool *p, unsigned int s, struct htab_elem *e)
{
	pool_retire_chain(p, s, e, e, 1);
}

/* Called at the end of every operation that may have retired elements,
 * once every lock is released. */
static void pool_maybe_flush(struct pool *p, unsigned int s)
{
	if (atomic_load_explicit(&p->slots[s].nr_retire,
				 memory_order_relaxed) >= RETIRE_BATCH)
		pool_flush(p, s);
}

static struct htab_elem *elem_malloc(struct htab *h, uint8_t flags)
{
	struct pool *p = h->pool;
	struct htab_elem *e = malloc(p->malloc_size);

	if (!e)
		return NULL;
	e->flags = ELEM_MALLOC | flags;
	if (h->percpu)
		*(uint8_t **)elem_val(h, e) = (uint8_t *)elem_val(h, e) + 8;
	return e;
}

/* A fresh element, not yet visible to anyone.  Outside any bucket lock. */
static struct htab_elem *elem_alloc(struct htab *h, unsigned int s)
{
	struct pool *p = h->pool;
	struct htab_elem *e;

	if (!h->prealloc) {
		if (uebpf_map_charge(&h->map, p->charge))
			return NULL;
		e = elem_malloc(h, ELEM_CHARGED);
		if (!e)
			pool_uncharge(p, p->charge);
		return e;
	}
	e = slot_pop_free(p, s);
	if (!e)
		e = pool_bump(p);
	if (!e)
		e = pool_steal(p, s);
	if (e)
		return e;
	/* Every spare element waits for a grace period.  Let what was
	 * retired earlier come back; else borrow memory meanwhile, so that
	 * what succeeds never depends on timing. */
	pool_flush(p, s);
	if (atomic_load(&p->inflight)) {
		uebpf_epoch_reclaim(&p->rt->epoch);
		e = slot_pop_free(p, s);
		if (!e)
			e = pool_steal(p, s);
		if (e)
			return e;
	}
	return elem_malloc(h, 0);
}

/* Gives back an element that was never published. */
static void elem_unused(struct htab *h, unsigned int s, struct htab_elem *e)
{
	elem_uncharge(h->pool, e);
	if (e->flags & ELEM_MALLOC)
		elem_destroy(h->pool, e);
	else
		slot_push_free(h->pool, s, e, e);
}

/* What an element holds besides bytes: map-in-map and devmap values hold
 * references.  Dropped as the element leaves the table. */
static void elem_release(struct htab *h, struct htab_elem *e)
{
	struct devmap_val *dv;

	if (h->kind == HT_OF_MAPS) {
		uebpf_map_unref(*(struct uebpf_map **)elem_val(h, e));
	} else if (h->kind == HT_DEVMAP) {
		dv = elem_val(h, e);
		if (dv->prog)
			uebpf_prog_put(dv->prog);
	}
}

/* After unlinking, locks released: release, return the LRU node, retire. */
static void elem_unlinked(struct htab *h, unsigned int s, struct htab_elem *e)
{
	elem_release(h, e);
	elem_uncharge(h->pool, e);
	if (h->is_lru)
		uebpf_lru_push_free(&h->lru, e->node);
	pool_retire(h->pool, s, e);
}

/* ---- values -------------------------------------------------------------- */

/* memcpy with the common sizes spelled out: a call into libc for 8 bytes
 * is most of the copy's cost. */
static inline void copy_small(void *dst, const void *src, uint32_t n)
{
	switch (n) {
	case 4: memcpy(dst, src, 4); break;
	case 8: memcpy(dst, src, 8); break;
	case 16: memcpy(dst, src, 16); break;
	default: memcpy(dst, src, n); break;
	}
}

static void elem_set_key(struct htab *h, struct htab_elem *e, const void *key,
			 uint32_t hash)
{
	copy_small(e->key, key, h->map.key_size);
	e->hash = hash;
	e->ref = 0;
}

/* One CPU's value from a program: the padding to 8 bytes is zeroed, so
 * the host's copy of the slot never shows stale bytes. */
static void pcpu_set_one(struct htab *h, void *slot, const void *value)
{
	memcpy(slot, value, h->map.value_size);
	memset((uint8_t *)slot + h->map.value_size, 0,
	       h->vsz8 - h->map.value_size);
}

/* Per-CPU values of a new element: from the host, every CPU's in the user
 * layout; from a program, this CPU's and zeros elsewhere (the kernel's
 * pcpu_init_value), so a program sees known values on every CPU. */
static void pcpu_init(struct htab *h, struct htab_elem *e, const void *value,
		      bool onallcpus)
{
	unsigned int cpu, me = map_this_cpu(&h->map);

	for (cpu = 0; cpu < h->map.rt->nr_cpus; cpu++) {
		if (onallcpus)
			memcpy(elem_pcpu(h, e, cpu),
			       (const uint8_t *)value + (size_t)cpu * h->vsz8,
			       h->vsz8);
		else if (cpu == me)
			pcpu_set_one(h, elem_pcpu(h, e, cpu), value);
		else
			memset(elem_pcpu(h, e, cpu), 0, h->vsz8);
	}
}

/* In place, for an existing per-CPU element (the kernel's pcpu_copy_value). */
static void pcpu_copy_in(struct htab *h, struct htab_elem *e, const void *value,
			 bool onallcpus)
{
	unsigned int cpu;

	if (!onallcpus) {
		memcpy(elem_pcpu(h, e, map_this_cpu(&h->map)), value,
		       h->map.value_size);
		return;
	}
	for (cpu = 0; cpu < h->map.rt->nr_cpus; cpu++)
		memcpy(elem_pcpu(h, e, cpu),
		       (const uint8_t *)value + (size_t)cpu * h->vsz8, h->vsz8);
}

static void pcpu_copy_out(struct htab *h, struct htab_elem *e, void *value)
{
	unsigned int cpu;

	for (cpu = 0; cpu < h->map.rt->nr_cpus; cpu++)
		memcpy((uint8_t *)value + (size_t)cpu * h->vsz8,
		       elem_pcpu(h, e, cpu), h->vsz8);
}

static int check_flags(const struct htab_elem *old, uint64_t flags)
{
	if (old && flags == BPF_NOEXIST)
		return -EEXIST;
	if (!old && flags == BPF_EXIST)
		return -ENOENT;
	return 0;
}

/* ---- updates ------------------------------------------------------------- */

/* HASH, HASH_OF_MAPS, DEVMAP_HASH: a new element replaces the old. */
static long htab_update_elem(struct htab *h, const void *key, const void *value,
			     uint64_t flags)
{
	unsigned int s = map_this_cpu(&h->map);
	struct htab_elem *e, *old, *head;
	_Atomic uintptr_t *b;
	uint32_t hash;
	int err;

	if (flags > BPF_EXIST)
		return -EINVAL;
	if (!h->prealloc) {
		/* The kernel checks flags and room before allocating; so do
		 * we, so an allocation failure never hides -EEXIST/-E2BIG. */
		old = htab_find(h, key, &hash);
		err = check_flags(old, flags);
		if (err)
			return err;
		if (!old && atomic_load(&h->count) >= h->map.max_entries)
			return -E2BIG;
	} else {
		hash = htab_hash(h, key);
	}
	e = elem_alloc(h, s);
	if (!e)
		return -ENOMEM;
	elem_set_key(h, e, key, hash);
	copy_small(elem_val(h, e), value, h->vcopy);

	b = bucket_of(h, hash);
	head = bucket_lock(b);
	old = find_locked(h, head, hash, key);
	err = check_flags(old, flags);
	if (!err && !old &&
	    atomic_fetch_add(&h->count, 1) >= h->map.max_entries) {
		atomic_fetch_sub(&h->count, 1);
		err = -E2BIG;
	}
	if (err) {
		bucket_unlock(b, head);
		elem_unused(h, s, e);
		return err;
	}
	if (old) {
		head = chain_replace(b, head, old, e);
	} else {
		chain_push(b, head, e);
		head = e;
	}
	bucket_unlock(b, head);
	if (old)
		elem_unlinked(h, s, old);
	pool_maybe_flush(h->pool, s);
	return 0;
}

/* PERCPU_HASH: an existing element is updated in place, as the kernel. */
static long percpu_update_elem(struct htab *h, const void *key,
			       const void *value, uint64_t flags,
			       bool onallcpus)
{
	unsigned int s = map_this_cpu(&h->map);
	struct htab_elem *e = NULL, *old, *head;
	_Atomic uintptr_t *b;
	uint32_t hash;
	int err;

	if (flags > BPF_EXIST)
		return -EINVAL;
	/* The common case, an existing key, needs no new element. */
	old = htab_find(h, key, &hash);
	b = bucket_of(h, hash);
	for (;;) {
		if (!old && !e) {
			if (flags == BPF_EXIST)
				return -ENOENT;
			if (!h->prealloc &&
			    atomic_load(&h->count) >= h->map.max_entries)
				return -E2BIG;
			e = elem_alloc(h, s);
			if (!e)
				return -ENOMEM;
			elem_set_key(h, e, key, hash);
			pcpu_init(h, e, value, onallcpus);
		}
		head = bucket_lock(b);
		old = find_locked(h, head, hash, key);
		if (old || e)
			break;
		/* Deleted since we looked: insert after all. */
		bucket_unlock(b, head);
	}
	err = check_flags(old, flags);
	if (!err && old) {
		pcpu_copy_in(h, old, value, onallcpus);
	} else if (!err) {
		if (atomic_fetch_add(&h->count, 1) >= h->map.max_entries) {
			atomic_fetch_sub(&h->count, 1);
			err = -E2BIG;
		} else {
			chain_push(b, head, e);
			head = e;
			e = NULL;
		}
	}
	bucket_unlock(b, head);
	if (e)
		elem_unused(h, s, e);
	return err;
}

static struct uebpf_lru_node *lru_pop(struct htab *h, unsigned int s,
				      struct htab_elem *owner);

/* A fresh element for key with its LRU node (which may evict), value
 * copied in unless NULL; NULL when either cannot be had: -ENOMEM. */
static struct htab_elem *lru_elem_alloc(struct htab *h, unsigned int s,
					const void *key, uint32_t hash,
					const void *value)
{
	struct htab_elem *e = elem_alloc(h, s);
	struct uebpf_lru_node *node;

	if (!e)
		return NULL;
	elem_set_key(h, e, key, hash);
	if (value)
		copy_small(elem_val(h, e), value, h->vcopy);
	node = lru_pop(h, s, e);
	if (!node) {
		elem_unused(h, s, e);
		pool_maybe_flush(h->pool, s);
		return NULL;
	}
	e->node = node;
	return e;
}

/* Gives back an element of lru_elem_alloc() that was never published. */
static void lru_elem_unused(struct htab *h, unsigned int s, struct htab_elem *e)
{
	uebpf_lru_push_free(&h->lru, e->node);
	elem_unused(h, s, e);
}

/* LRU_HASH: the kernel's order: a node first (which may evict), then the
 * bucket; an update of an existing key marks the new element used. */
static long lru_update_elem(struct htab *h, const void *key, const void *value,
			    uint64_t flags)
{
	unsigned int s = map_this_cpu(&h->map);
	struct htab_elem *e, *old, *head;
	_Atomic uintptr_t *b;
	uint32_t hash;
	int err;

	if (flags > BPF_EXIST)
		return -EINVAL;
	hash = htab_hash(h, key);
	e = lru_elem_alloc(h, s, key, hash, value);
	if (!e)
		return -ENOMEM;

	b = bucket_of(h, hash);
	head = bucket_lock(b);
	old = find_locked(h, head, hash, key);
	err = check_flags(old, flags);
	if (!err && old) {
		/* Replacing counts as a use, as in the kernel. */
		__atomic_store_n(&e->ref, 1, __ATOMIC_RELAXED);
		head = chain_replace(b, head, old, e);
	} else if (!err) {
		chain_push(b, head, e);
		head = e;
	}
	bucket_unlock(b, head);
	if (err)
		lru_elem_unused(h, s, e);
	else if (old)
		elem_unlinked(h, s, old);
	pool_maybe_flush(h->pool, s);
	return err;
}

/* LRU_PERCPU_HASH: unless BPF_EXIST, a node is taken first, as the kernel
 * does, and given back if the key turns out to exist. */
static long lru_percpu_update_elem(struct htab *h, const void *key,
				   const void *value, uint64_t flags,
				   bool onallcpus)
{
	unsigned int s = map_this_cpu(&h->map);
	struct htab_elem *e = NULL, *old, *head;
	_Atomic uintptr_t *b;
	uint32_t hash;
	int err;

	if (flags > BPF_EXIST)
		return -EINVAL;
	hash = htab_hash(h, key);
	if (flags != BPF_EXIST) {
		e = lru_elem_alloc(h, s, key, hash, NULL);
		if (!e)
			return -ENOMEM;
	}
	b = bucket_of(h, hash);
	head = bucket_lock(b);
	old = find_locked(h, head, hash, key);
	err = check_flags(old, flags);
	if (!err && old) {
		__atomic_store_n(&old->ref, 1, __ATOMIC_RELAXED);
		pcpu_copy_in(h, old, value, onallcpus);
	} else if (!err) {
		pcpu_init(h, e, value, onallcpus);
		chain_push(b, head, e);
		head = e;
		e = NULL;
	}
	bucket_unlock(b, head);
	if (e)
		lru_elem_unused(h, s, e);
	pool_maybe_flush(h->pool, s);
	return err;
}

/* Elements the LRU evicts during one pop: retired together afterwards,
 * with one lock, instead of one lock per victim. */
struct evict_ctx {
	struct htab *h;
	struct htab_elem *first, *last;
	unsigned int n;
};

static __thread struct evict_ctx *evicting;

static struct uebpf_lru_node *lru_pop(struct htab *h, unsigned int s,
				      struct htab_elem *owner)
{
	struct evict_ctx ctx = {.h = h};
	struct uebpf_lru_node *node;

	evicting = &ctx;
	node = uebpf_lru_pop_free(&h->lru, s, owner);
	evicting = NULL;
	if (ctx.n)
		pool_retire_chain(h->pool, s, ctx.first, ctx.last, ctx.n);
	return node;
}

/* The LRU asks to evict node's element, holding an LRU lock (LRU locks come
 * before bucket locks). */
static bool lru_evict(void *arg, struct uebpf_lru_node *node)
{
	struct htab *h = arg;
	struct htab_elem *e = node->owner, *p, *head;
	_Atomic uintptr_t *b;

	if (!e)
		return false;
	b = bucket_of(h, e->hash);
	head = bucket_lock(b);
	for (p = head; p && p != e; p = elem_next(p))
		;
	if (p)
		head = chain_unlink(b, head, e);
	bucket_unlock(b, head);
	if (!p)
		return false;
	if (evicting && evicting->h == h) {
		e->link = evicting->first;
		evicting->first = e;
		if (!evicting->n++)
			evicting->last = e;
	} else {
		pool_retire(h->pool, map_this_cpu(&h->map), e);
	}
	return true;
}

/* ---- deletes ------------------------------------------------------------- */

/* Unlinks the element of key; copies its value out first if value. */
static int htab_remove(struct htab *h, const void *key, void *value)
{
	unsigned int s = map_this_cpu(&h->map);
	struct htab_elem *e, *head;
	_Atomic uintptr_t *b;
	uint32_t hash = htab_hash(h, key);

	b = bucket_of(h, hash);
	head = bucket_lock(b);
	e = find_locked(h, head, hash, key);
	if (!e) {
		bucket_unlock(b, head);
		return -ENOENT;
	}
	if (value && h->percpu)
		pcpu_copy_out(h, e, value);
	else if (value)
		memcpy(value, elem_val(h, e), h->map.value_size);
	head = chain_unlink(b, head, e);
	bucket_unlock(b, head);
	if (!h->is_lru)
		atomic_fetch_sub(&h->count, 1);
	elem_unlinked(h, s, e);
	pool_maybe_flush(h->pool, s);
	return 0;
}

static long htab_delete(struct uebpf_map *map, const void *key)
{
	return htab_remove(to_htab(map), key, NULL);
}

static int htab_lookup_and_delete(struct uebpf_map *map, const void *key,
				  void *value, uint64_t flags)
{
	if (flags)
		return -EINVAL;
	return htab_remove(to_htab(map), key, value);
}

/* ---- lookups ------------------------------------------------------------- */

static void *htab_lookup(struct uebpf_map *map, const void *key)
{
	struct htab *h = to_htab(map);
	struct htab_elem *e;
	uint32_t hash;

	e = htab_find(h, key, &hash);
	return e ? elem_val(h, e) : NULL;
}

static inline void mark_used(struct htab_elem *e)
{
	/* Read first: a hot element's line is not written on every hit. */
	if (!__atomic_load_n(&e->ref, __ATOMIC_RELAXED))
		__atomic_store_n(&e->ref, 1, __ATOMIC_RELAXED);
}

static void *lru_lookup(struct uebpf_map *map, const void *key)
{
	struct htab *h = to_htab(map);
	struct htab_elem *e;
	uint32_t hash;

	e = htab_find(h, key, &hash);
	if (!e)
		return NULL;
	mark_used(e);
	return elem_val(h, e);
}

static void *percpu_lookup(struct uebpf_map *map, const void *key)
{
	struct htab *h = to_htab(map);
	struct htab_elem *e;
	uint32_t hash;

	e = htab_find(h, key, &hash);
	return e ? elem_pcpu(h, e, map_this_cpu(map)) : NULL;
}

static void *lru_percpu_lookup(struct uebpf_map *map, const void *key)
{
	struct htab *h = to_htab(map);
	struct htab_elem *e;
	uint32_t hash;

	e = htab_find(h, key, &hash);
	if (!e)
		return NULL;
	mark_used(e);
	return elem_pcpu(h, e, map_this_cpu(map));
}

void *uebpf_htab_lookup_sys(struct uebpf_map *map, const void *key)
{
	struct htab *h = to_htab(map);
	struct htab_elem *e;
	uint32_t hash;

	e = htab_find(h, key, &hash);
	if (!e)
		return NULL;
	return h->percpu ? elem_pcpu(h, e, map_this_cpu(map)) : elem_val(h, e);
}

/* ---- iteration ----------------------------------------------------------- */

/* The kernel's order: the element after key in its bucket, else the first
 * of the following buckets; a missing (or NULL) key starts over.  Each step
 * moves forward, so a walk ends however the map changes meanwhile. */
static int htab_get_next_key(struct uebpf_map *map, const void *key,
			     void *next_key)
{
	struct htab *h = to_htab(map);
	struct htab_elem *e = NULL;
	uint64_t i = 0;
	uint32_t hash;

	if (key)
		e = htab_find(h, key, &hash);
	if (e) {
		e = elem_next(e);
		if (e) {
			memcpy(next_key, e->key, map->key_size);
			return 0;
		}
		i = (uint64_t)(hash & h->mask) + 1;
	}
	for (; i <= h->mask; i++) {
		e = bucket_first(&h->buckets[i]);
		if (e) {
			memcpy(next_key, e->key, map->key_size);
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- program and host entry points by family ----------------------------- */

static long hash_update(struct uebpf_map *map, const void *key,
			const void *value, uint64_t flags)
{
	return htab_update_elem(to_htab(map), key, value, flags);
}

static long lru_update(struct uebpf_map *map, const void *key,
		       const void *value, uint64_t flags)
{
	return lru_update_elem(to_htab(map), key, value, flags);
}

static long percpu_update(struct uebpf_map *map, const void *key,
			  const void *value, uint64_t flags)
{
	return percpu_update_elem(to_htab(map), key, value, flags, false);
}

static long lru_percpu_update(struct uebpf_map *map, const void *key,
			      const void *value, uint64_t flags)
{
	return lru_percpu_update_elem(to_htab(map), key, value, flags, false);
}

static int percpu_update_all(struct uebpf_map *map, const void *key,
			     const void *value, uint64_t flags)
{
	struct htab *h = to_htab(map);

	if (h->is_lru)
		return (int)lru_percpu_update_elem(h, key, value, flags, true);
	return (int)percpu_update_elem(h, key, value, flags, true);
}

/* The host's copy does not mark an LRU element used, as the kernel. */
static int percpu_copy(struct uebpf_map *map, const void *key, void *value)
{
	struct htab *h = to_htab(map);
	struct htab_elem *e;
	uint32_t hash;

	e = htab_find(h, key, &hash);
	if (!e)
		return -ENOENT;
	pcpu_copy_out(h, e, value);
	return 0;
}

/* HASH_OF_MAPS: programs get the inner map, the host its id. */
static void *hom_lookup(struct uebpf_map *map, const void *key)
{
	struct htab *h = to_htab(map);
	struct htab_elem *e;
	uint32_t hash;

	e = htab_find(h, key, &hash);
	return e ? *(struct uebpf_map **)elem_val(h, e) : NULL;
}

static int hom_update(struct uebpf_map *map, const void *key, uint32_t id,
		      uint64_t flags)
{
	struct uebpf_map *inner;
	long err;

	inner = uebpf_map_get_by_id_internal(map->rt, id);
	if (!inner) {
		map_warn(map, "no map with id %u to store\n", id);
		return -EBADF;
	}
	/* It logs why not. */
	if (!uebpf_map_compatible_inner(map->inner_map, inner)) {
		uebpf_map_unref(inner);
		return -EINVAL;
	}
	err = htab_update_elem(to_htab(map), key, &inner, flags);
	if (err)
		uebpf_map_unref(inner);
	return (int)err;
}

static int hom_lookup_id(struct uebpf_map *map, const void *key, uint32_t *id)
{
	struct uebpf_map *inner = hom_lookup(map, key);

	if (!inner)
		return -ENOENT;
	*id = inner->id;
	return 0;
}

/* DEVMAP_HASH: the value is an ifindex, optionally a program to run. */
static long devmap_update(struct uebpf_map *map, const void *key,
			  const void *value, uint64_t flags)
{
	struct htab *h = to_htab(map);
	struct bpf_devmap_val v = {0};
	struct devmap_val dv = {0};
	struct uebpf_prog *prog;
	uint32_t hash;
	long err;

	memcpy(&v, value, map->value_size);
	if (flags > BPF_EXIST || !v.ifindex)
		return -EINVAL;
	/* The kernel's order: -EEXIST before the program is looked at. */
	if (flags == BPF_NOEXIST && htab_find(h, key, &hash))
		return -EEXIST;
	dv.ifindex = v.ifindex;
	if (v.bpf_prog.fd > 0) {
		prog = uebpf_prog_get_by_id_internal(map->rt, v.bpf_prog.id);
		if (!prog || prog->type != BPF_PROG_TYPE_XDP) {
			map_warn(map, "program id %u: %s\n", v.bpf_prog.id,
				 prog ? "not an XDP program"
				      : "no such program");
			uebpf_prog_put(prog);
			return -EINVAL;
		}
		dv.prog = prog;
		dv.prog_id = prog->id;
	}
	/* A missing key with BPF_EXIST is added: the kernel does not
	 * check it for this type. */
	err = htab_update_elem(h, key, &dv,
			       flags == BPF_EXIST ? BPF_ANY : flags);
	if (err && dv.prog)
		uebpf_prog_put(dv.prog);
	return err;
}

int uebpf_devmap_hash_lookup(struct uebpf_map *map, uint32_t key,
			     void *out_value)
{
	struct htab *h = to_htab(map);
	struct htab_elem *e;

	e = htab_find_ool(h, &key);
	if (!e)
		return -ENOENT;
	memcpy(out_value, elem_val(h, e), sizeof(struct bpf_devmap_val));
	return 0;
}

/* ---- creation ------------------------------------------------------------ */

static enum htab_kind kind_of(enum bpf_map_type type)
{
	switch (type) {
	case BPF_MAP_TYPE_PERCPU_HASH: return HT_PERCPU;
	case BPF_MAP_TYPE_LRU_HASH: return HT_LRU;
	case BPF_MAP_TYPE_LRU_PERCPU_HASH: return HT_LRU_PERCPU;
	case BPF_MAP_TYPE_HASH_OF_MAPS: return HT_OF_MAPS;
	case BPF_MAP_TYPE_DEVMAP_HASH: return HT_DEVMAP;
	default: return HT_HASH;
	}
}

/* BPF_F_NO_COMMON_LRU gives each CPU the same share: the kernel rounds
 * max_entries up to a multiple of the CPUs (down if that overflows). */
static uint64_t lru_max_entries(const struct uebpf_map *attr)
{
	uint64_t n = attr->rt->nr_cpus, m = attr->max_entries;

	if (!(attr->map_flags & BPF_F_NO_COMMON_LRU))
		return m;
	m = (m + n - 1) / n * n;
	if (m > UINT32_MAX)
		m = attr->max_entries / n * n;
	return m;
}

static int devmap_check(struct uebpf_map *attr)
{
	if (!attr->max_entries || attr->key_size != 4 ||
	    (attr->value_size != 4 && attr->value_size != 8) ||
	    attr->map_flags & ~DEVMAP_CREATE_FLAGS ||
	    attr->max_entries > (1u << 31)) {
		map_warn(attr, "DEVMAP_HASH needs key_size 4, value_size 4 or "
			       "8 (ifindex, program id), max_entries 1..2^31 "
			       "and flags among NUMA_NODE, RDONLY, WRONLY\n");
		return -EINVAL;
	}
	return 0;
}

static int htab_check(struct uebpf_map *attr)
{
	enum htab_kind kind = kind_of(attr->type);
	bool percpu = kind == HT_PERCPU || kind == HT_LRU_PERCPU;
	bool lru = kind == HT_LRU || kind == HT_LRU_PERCPU;
	uint32_t fl = attr->map_flags;

	if (kind == HT_DEVMAP)
		return devmap_check(attr);
	if (kind == HT_OF_MAPS && attr->value_size != 4) {
		map_warn(attr,
			 "HASH_OF_MAPS values are map ids: value_size must be "
			 "4, not %u\n",
			 attr->value_size);
		return -EINVAL;
	}
	if (fl & ~HTAB_CREATE_FLAGS) {
		map_warn(attr, "map_flags 0x%x are not valid for a hash map\n",
			 fl & ~HTAB_CREATE_FLAGS);
		return -EINVAL;
	}
	if (!lru && fl & BPF_F_NO_COMMON_LRU) {
		map_warn(attr,
			 "BPF_F_NO_COMMON_LRU is only for LRU hash maps\n");
		return -EINVAL;
	}
	if (lru && fl & BPF_F_NO_PREALLOC) {
		map_warn(attr, "LRU hash maps are always preallocated: "
			       "BPF_F_NO_PREALLOC is not supported\n");
		return -ENOTSUPP_ERRNO;
	}
	if (fl & BPF_F_NUMA_NODE && (percpu || fl & BPF_F_NO_COMMON_LRU)) {
		map_warn(attr,
			 "a NUMA node cannot be given for per-CPU storage\n");
		return -EINVAL;
	}
	if (!attr->max_entries || !attr->key_size || !attr->value_size) {
		map_warn(attr, "key_size, value_size and max_entries must be "
			       "non-zero\n");
		return -EINVAL;
	}
	if ((uint64_t)attr->key_size + attr->value_size >=
	    KERNEL_KMALLOC_MAX - KERNEL_HTAB_ELEM) {
		map_warn(attr,
			 "key_size + value_size (%llu) must be below %u\n",
			 (unsigned long long)attr->key_size + attr->value_size,
			 KERNEL_KMALLOC_MAX - KERNEL_HTAB_ELEM);
		return -E2BIG;
	}
	if (percpu && round_up8(attr->value_size) > KERNEL_PCPU_MIN_UNIT) {
		map_warn(attr, "per-CPU value_size %u is above %u\n",
			 attr->value_size, KERNEL_PCPU_MIN_UNIT);
		return -E2BIG;
	}
	if ((lru ? lru_max_entries(attr) : attr->max_entries) > (1u << 31)) {
		map_warn(attr, "max_entries %u is above 2^31\n",
			 attr->max_entries);
		return -E2BIG;
	}
	return 0;
}

static void *reserve(struct htab *h, uint64_t bytes)
{
	void *p = uebpf_map_reserve(&h->map, bytes);

	/* Big tables are walked at random: fewer TLB misses with huge
	 * pages, where the system allows them. */
	if (p && bytes >= (4u << 20))
		madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

static void htab_free(struct uebpf_map *map);

static int htab_alloc(const struct uebpf_map *attr, struct uebpf_map **out)
{
	unsigned int i, nr_cpus = attr->rt->nr_cpus;
	uint64_t n_buckets = 1, per_elem, extra, charge, vstore;
	struct htab *h;
	struct pool *p;
	int err;

	if (attr->type == BPF_MAP_TYPE_HASH_OF_MAPS && !attr->inner_map) {
		map_warn(attr, "HASH_OF_MAPS needs an inner map template "
			       "(opts.inner_map)\n");
		return -EINVAL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->map = *attr;
	h->kind = kind_of(attr->type);
	h->percpu = h->kind == HT_PERCPU || h->kind == HT_LRU_PERCPU;
	h->is_lru = h->kind == HT_LRU || h->kind == HT_LRU_PERCPU;
	/* DEVMAP_HASH allocates per update in the kernel. */
	h->prealloc =
		!(attr->map_flags & BPF_F_NO_PREALLOC) && h->kind != HT_DEVMAP;
	if (h->is_lru)
		h->map.max_entries = (uint32_t)lru_max_entries(attr);
	if (h->kind == HT_DEVMAP)
		/* Lookups return the entry itself: programs may not write. */
		h->map.map_flags |= BPF_F_RDONLY_PROG;
	atomic_init(&h->count, 0);
	seed_htab(h);

	while (n_buckets < h->map.max_entries)
		n_buckets <<= 1;
	h->mask = (uint32_t)(n_buckets - 1);
	h->buckets_bytes = n_buckets * sizeof(*h->buckets);
	h->ksz8 = round_up8(attr->key_size);
	vstore = h->kind == HT_OF_MAPS	? sizeof(struct uebpf_map *)
		 : h->kind == HT_DEVMAP ? sizeof(struct devmap_val)
					: attr->value_size;
	h->vsz8 = round_up8((uint32_t)vstore);
	h->vcopy = (uint32_t)vstore;

	p = aligned_alloc(64,
			  (sizeof(*p) + nr_cpus * sizeof(p->slots[0]) + 63) /
				  64 * 64);
	if (!p) {
		free(h);
		return -ENOMEM;
	}
	memset(p, 0, sizeof(*p) + nr_cpus * sizeof(p->slots[0]));
	h->pool = p;
	atomic_init(&p->refs, 1);
	atomic_init(&p->inflight, 0);
	atomic_init(&p->bump, 0);
	atomic_init(&p->steal_hint, 0);
	p->rt = attr->rt;
	p->nr_slots = nr_cpus;
	for (i = 0; i < nr_cpus; i++) {
		atomic_init(&p->slots[i].lock.v, 0);
		atomic_init(&p->slots[i].nr_retire, 0);
	}
	p->percpu = h->percpu;
	p->val_off = (uint32_t)(sizeof(struct htab_elem) + h->ksz8);
	p->vsz8 = h->vsz8;
	p->elem_size = p->val_off + (h->percpu ? 8 : h->vsz8);
	p->malloc_size = p->elem_size + (h->percpu ? nr_cpus * h->vsz8 : 0);
	per_elem = p->malloc_size;
	p->charge = per_elem;

	/* The kernel preallocates max_entries plus one spare per CPU; a few
	 * more here cover elements waiting for their grace period. */
	extra = 65536 / per_elem;
	extra = nr_cpus + (extra < 1		      ? 1
			   : extra > 2 * RETIRE_BATCH ? 2 * RETIRE_BATCH
						      : extra);
	p->cap = h->prealloc ? h->map.max_entries + extra : 0;
	charge = h->buckets_bytes + p->cap * per_elem +
		 (h->is_lru ? (uint64_t)h->map.max_entries * sizeof(*h->nodes)
			    : 0);
	err = uebpf_map_charge(&h->map, charge);
	if (err) {
		free(p);
		free(h);
		return err;
	}
	h->map.charged = charge;

	err = -ENOMEM;
	h->buckets = reserve(h, h->buckets_bytes);
	if (!h->buckets)
		goto fail;
	if (p->cap) {
		p->elems_bytes = p->cap * p->elem_size;
		p->elems = reserve(h, p->elems_bytes);
		if (!p->elems)
			goto fail;
	}
	if (p->cap && h->percpu) {
		p->pcpu_bytes = p->cap * nr_cpus * h->vsz8;
		p->pcpu = reserve(h, p->pcpu_bytes);
		if (!p->pcpu)
			goto fail;
		h->pcpu_stride = p->cap * h->vsz8;
	}
	if (h->is_lru) {
		h->nodes = calloc(h->map.max_entries, sizeof(*h->nodes));
		if (!h->nodes)
			goto fail;
		err = uebpf_lru_init(
			&h->lru, attr->map_flags & BPF_F_NO_COMMON_LRU, nr_cpus,
			offsetof(struct htab_elem, ref), lru_evict, h);
		if (err)
			goto fail;
		uebpf_lru_populate(&h->lru, h->nodes, h->map.max_entries);
	}
	*out = &h->map;
	return 0;
fail:
	htab_free(&h->map);
	return err;
}

static void htab_free(struct uebpf_map *map)
{
	struct htab *h = to_htab(map);
	struct pool *p = h->pool;
	struct htab_elem *e, *next;
	uint64_t i;

	/* No reader is left: the map went through a grace period. */
	for (i = 0; h->buckets && i <= h->mask; i++) {
		for (e = bucket_first(&h->buckets[i]); e; e = next) {
			next = elem_next(e);
			elem_release(h, e);
			elem_uncharge(p, e);
			if (e->flags & ELEM_MALLOC)
				elem_destroy(p, e);
		}
	}
	for (i = 0; i < p->nr_slots; i++) {
		for (e = p->slots[i].retire; e; e = next) {
			next = e->link;
			if (e->flags & ELEM_MALLOC)
				elem_destroy(p, e);
		}
		p->slots[i].retire = NULL;
	}
	if (h->is_lru)
		uebpf_lru_destroy(&h->lru);
	free(h->nodes);
	uebpf_map_unreserve(h->buckets, h->buckets_bytes);
	uebpf_map_uncharge(map, map->charged);
	/* Batches in flight hold the pool until they come back. */
	pool_put(p);
	free(h);
}

/* ---- debug mode ----------------------------------------------------------- */

static bool in_value(uintptr_t v, uint32_t value_size, uintptr_t addr,
		     size_t n)
{
	return addr >= v && n <= value_size && addr - v <= value_size - n;
}

static bool elem_contains(const struct htab *h, struct htab_elem *e,
			  uintptr_t addr, size_t n)
{
	unsigned int cpu;

	if (!h->percpu)
		return in_value((uintptr_t)elem_val(h, e), h->map.value_size,
				addr, n);
	for (cpu = 0; cpu < h->map.rt->nr_cpus; cpu++)
		if (in_value((uintptr_t)elem_pcpu(h, e, cpu),
			     h->map.value_size, addr, n))
			return true;
	return false;
}

/*
 * ops->value_contains of HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH.
 *
 * A program may hold a value whose element was unlinked during its run
 * (replaced by an update, deleted, evicted): that memory stays the value
 * until the grace period, so it counts.  Pool elements are found by
 * arithmetic, every one handed out so far: linked, waiting for its grace
 * period, or free again (as in the kernel's preallocated maps, where a
 * program may see a reused element).  Malloc'ed elements are found by
 * walking the buckets and the CPU slots' retire lists; one already in a
 * retired batch is missed (a false alarm, never a missed fault), which
 * takes BPF_F_NO_PREALLOC or an exhausted pool and RETIRE_BATCH
 * unlinks in one run.
 */
static bool htab_value_contains(struct uebpf_map *map, uintptr_t addr,
				size_t n)
{
	struct htab *h = to_htab(map);
	struct pool *p = h->pool;
	uint64_t used = atomic_load(&p->bump), off, i;
	struct htab_elem *e;
	bool found = false;
	unsigned int s;

	if (!h->percpu && p->elems && addr >= (uintptr_t)p->elems &&
	    addr - (uintptr_t)p->elems < p->elems_bytes) {
		off = addr - (uintptr_t)p->elems;
		i = off / p->elem_size;
		off %= p->elem_size;
		return i < used && off >= p->val_off &&
		       in_value(p->val_off, map->value_size, off, n);
	}
	if (h->percpu && p->pcpu && addr >= (uintptr_t)p->pcpu &&
	    addr - (uintptr_t)p->pcpu < p->pcpu_bytes) {
		off = addr - (uintptr_t)p->pcpu;
		if (off / h->pcpu_stride >= map->rt->nr_cpus)
			return false;
		off %= h->pcpu_stride;
		i = off / h->vsz8;
		return i < used &&
		       in_value(0, map->value_size, off % h->vsz8, n);
	}
	for (i = 0; i <= h->mask; i++)
		for (e = bucket_first(&h->buckets[i]); e; e = elem_next(e))
			if (elem_contains(h, e, addr, n))
				return true;
	for (s = 0; s < p->nr_slots && !found; s++) {
		uebpf_spin_lock(&p->slots[s].lock);
		for (e = p->slots[s].retire; e && !found; e = e->link)
			found = elem_contains(h, e, addr, n);
		uebpf_spin_unlock(&p->slots[s].lock);
	}
	return found;
}

/* ---- ops tables ---------------------------------------------------------- */

const struct uebpf_map_ops uebpf_hash_ops = {
	.check = htab_check,
	.alloc = htab_alloc,
	.free = htab_free,
	.lookup = htab_lookup,
	.update = hash_update,
	.delete = htab_delete,
	.get_next_key = htab_get_next_key,
	.batch = true,
	.lookup_and_delete = htab_lookup_and_delete,
	.value_contains = htab_value_contains,
};

const struct uebpf_map_ops uebpf_percpu_hash_ops = {
	.check = htab_check,
	.alloc = htab_alloc,
	.free = htab_free,
	.lookup = percpu_lookup,
	.update = percpu_update,
	.delete = htab_delete,
	.get_next_key = htab_get_next_key,
	.batch = true,
	.percpu_copy = percpu_copy,
	.percpu_update = percpu_update_all,
	.lookup_and_delete = htab_lookup_and_delete,
	.value_contains = htab_value_contains,
};

const struct uebpf_map_ops uebpf_lru_hash_ops = {
	.check = htab_check,
	.alloc = htab_alloc,
	.free = htab_free,
	.lookup = lru_lookup,
	.update = lru_update,
	.delete = htab_delete,
	.get_next_key = htab_get_next_key,
	.sys_lookup = uebpf_htab_lookup_sys,
	.batch = true,
	.lookup_and_delete = htab_lookup_and_delete,
	.value_contains = htab_value_contains,
};

const struct uebpf_map_ops uebpf_lru_percpu_hash_ops = {
	.check = htab_check,
	.alloc = htab_alloc,
	.free = htab_free,
	.lookup = lru_percpu_lookup,
	.update = lru_percpu_update,
	.delete = htab_delete,
	.get_next_key = htab_get_next_key,
	.sys_lookup = uebpf_htab_lookup_sys,
	.batch = true,
	.percpu_copy = percpu_copy,
	.percpu_update = percpu_update_all,
	.lookup_and_delete = htab_lookup_and_delete,
	.value_contains = htab_value_contains,
};

/* Programs may only look map-in-map values up; the host stores ids.
 * DEVMAP_HASH has no batch operations in the kernel. */
const struct uebpf_map_ops uebpf_hash_of_maps_ops = {
	.check = htab_check,
	.alloc = htab_alloc,
	.free = htab_free,
	.lookup = hom_lookup,
	.delete = htab_delete,
	.get_next_key = htab_get_next_key,
	.batch = true,
	.obj_update = hom_update,
	.obj_lookup_id = hom_lookup_id,
};

const struct uebpf_map_ops uebpf_devmap_hash_ops = {
	.check = htab_check,
	.alloc = htab_alloc,
	.free = htab_free,
	.lookup = htab_lookup,
	.update = devmap_update,
	.delete = htab_delete,
	.get_next_key = htab_get_next_key,
};
