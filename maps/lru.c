/* SPDX-License-Identifier: MIT */
/*
 * LRU lists for the LRU hash maps; see lru.h.  The policy is the kernel's:
 * second chance through a reference bit, an active and an inactive list,
 * batches of free nodes moved to a CPU slot's local list, eviction from the
 * inactive tail, a forced eviction ignoring the bit when nothing else
 * works, and stealing from other slots' local lists as the last resort.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lru.h"

#define LOCAL_FREE_TARGET  128
#define LOCAL_NR_SCANS	   LOCAL_FREE_TARGET
#define PERCPU_FREE_TARGET 4
#define PERCPU_NR_SCANS	   PERCPU_FREE_TARGET

/* ---- lists and nodes ----------------------------------------------------- */

static void list_init(struct uebpf_lru_node *h)
{
	h->next = h;
	h->prev = h;
}

static bool list_empty(const struct uebpf_lru_node *h)
{
	return h->next == h;
}

static void list_del(struct uebpf_lru_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
}

static void list_add(struct uebpf_lru_node *n, struct uebpf_lru_node *h)
{
	n->next = h->next;
	n->prev = h;
	h->next->prev = n;
	h->next = n;
}

static void list_move(struct uebpf_lru_node *n, struct uebpf_lru_node *h)
{
	list_del(n);
	list_add(n, h);
}

static uint8_t node_type(const struct uebpf_lru_node *n)
{
	return __atomic_load_n(&n->type, __ATOMIC_RELAXED);
}

static void set_type(struct uebpf_lru_node *n, uint8_t t)
{
	__atomic_store_n(&n->type, t, __ATOMIC_RELAXED);
}

/* The reference byte lives in the owner's element, where program-side
 * lookups set it without touching the node. */
static uint8_t *node_ref(const struct uebpf_lru *lru,
			 const struct uebpf_lru_node *n)
{
	return (uint8_t *)n->owner + lru->ref_off;
}

static bool is_ref(const struct uebpf_lru *lru, const struct uebpf_lru_node *n)
{
	return n->owner && __atomic_load_n(node_ref(lru, n), __ATOMIC_RELAXED);
}

static void clear_ref(const struct uebpf_lru *lru, struct uebpf_lru_node *n)
{
	if (is_ref(lru, n))
		__atomic_store_n(node_ref(lru, n), 0, __ATOMIC_RELAXED);
}

static void count_inc(struct uebpf_lru_list *l, uint8_t t)
{
	if (t <= UEBPF_LRU_INACTIVE)
		l->counts[t]++;
}

static void count_dec(struct uebpf_lru_list *l, uint8_t t)
{
	if (t <= UEBPF_LRU_INACTIVE)
		l->counts[t]--;
}

/* The inactive scan position must not point at a node that leaves. */
static void rotation_skip(struct uebpf_lru_list *l, struct uebpf_lru_node *n)
{
	if (l->next_rotation == n)
		l->next_rotation = n->prev;
}

/* An evicted or deleted node leaves the list for a free list. */
static void move_to_free(struct uebpf_lru_list *l, struct uebpf_lru_node *n,
			 struct uebpf_lru_node *free_head, uint8_t free_type)
{
	rotation_skip(l, n);
	count_dec(l, node_type(n));
	set_type(n, free_type);
	n->owner = NULL;
	list_move(n, free_head);
}

/* A pending node enters the list. */
static void move_in(const struct uebpf_lru *lru, struct uebpf_lru_list *l,
		    struct uebpf_lru_node *n, uint8_t t)
{
	count_inc(l, t);
	set_type(n, t);
	clear_ref(lru, n);
	list_move(n, &l->heads[t]);
}

/* Between active, inactive and free, or to the head of the same list. */
static void move(const struct uebpf_lru *lru, struct uebpf_lru_list *l,
		 struct uebpf_lru_node *n, uint8_t t)
{
	uint8_t cur = node_type(n);

	if (cur != t) {
		count_dec(l, cur);
		count_inc(l, t);
		set_type(n, t);
	}
	clear_ref(lru, n);
	if (t == UEBPF_LRU_FREE)
		n->owner = NULL;
	rotation_skip(l, n);
	list_move(n, &l->heads[t]);
}

/* ---- one LRU list -------------------------------------------------------- */

/* From the active tail: referenced nodes get another round at the head,
 * the others go to the inactive list. */
static void rotate_active(const struct uebpf_lru *lru, struct uebpf_lru_list *l)
{
	struct uebpf_lru_node *h = &l->heads[UEBPF_LRU_ACTIVE];
	struct uebpf_lru_node *n, *p, *first = h->next;
	unsigned int i = 0;

	for (n = h->prev; n != h; n = p) {
		p = n->prev;
		move(lru, l, n,
		     is_ref(lru, n) ? UEBPF_LRU_ACTIVE : UEBPF_LRU_INACTIVE);
		if (++i == lru->nr_scans || n == first)
			break;
	}
}

/* From where the last scan stopped, promote referenced inactive nodes;
 * the others stay where they are for the next shrink. */
static void rotate_inactive(const struct uebpf_lru *lru,
			    struct uebpf_lru_list *l)
{
	struct uebpf_lru_node *h = &l->heads[UEBPF_LRU_INACTIVE];
	struct uebpf_lru_node *cur, *last, *next = h;
	unsigned int i = 0;

	if (list_empty(h))
		return;
	last = l->next_rotation->next;
	if (last == h)
		last = last->next;
	cur = l->next_rotation;
	while (i < lru->nr_scans) {
		if (cur == h) {
			cur = cur->prev;
			continue;
		}
		next = cur->prev;
		if (is_ref(lru, cur))
			move(lru, l, cur, UEBPF_LRU_ACTIVE);
		if (cur == last)
			break;
		cur = next;
		i++;
	}
	l->next_rotation = next;
}

static void rotate(const struct uebpf_lru *lru, struct uebpf_lru_list *l)
{
	if (l->counts[UEBPF_LRU_INACTIVE] < l->counts[UEBPF_LRU_ACTIVE])
		rotate_active(lru, l);
	rotate_inactive(lru, l);
}

/* Evict up to want unreferenced nodes from the inactive tail. */
static unsigned int shrink_inactive(const struct uebpf_lru *lru,
				    struct uebpf_lru_list *l, unsigned int want,
				    struct uebpf_lru_node *free_head,
				    uint8_t free_type)
{
	struct uebpf_lru_node *h = &l->heads[UEBPF_LRU_INACTIVE];
	struct uebpf_lru_node *n, *p;
	unsigned int got = 0, i = 0;

	for (n = h->prev; n != h; n = p) {
		p = n->prev;
		if (is_ref(lru, n)) {
			move(lru, l, n, UEBPF_LRU_ACTIVE);
		} else if (lru->del(lru->del_arg, n)) {
			move_to_free(l, n, free_head, free_type);
			if (++got == want)
				break;
		}
		if (++i == lru->nr_scans)
			break;
	}
	return got;
}

/* As shrink_inactive; when that finds nothing, evict one node whatever its
 * reference bit, from the inactive list if it has any, else the active. */
static unsigned int shrink(const struct uebpf_lru *lru,
			   struct uebpf_lru_list *l, unsigned int want,
			   struct uebpf_lru_node *free_head, uint8_t free_type)
{
	struct uebpf_lru_node *h, *n, *p;
	unsigned int got;

	got = shrink_inactive(lru, l, want, free_head, free_type);
	if (got)
		return got;
	h = &l->heads[UEBPF_LRU_INACTIVE];
	if (list_empty(h))
		h = &l->heads[UEBPF_LRU_ACTIVE];
	for (n = h->prev; n != h; n = p) {
		p = n->prev;
		if (lru->del(lru->del_arg, n)) {
			move_to_free(l, n, free_head, free_type);
			return 1;
		}
	}
	return 0;
}

static void list_setup(struct uebpf_lru_list *l)
{
	unsigned int i;

	for (i = 0; i < sizeof(l->heads) / sizeof(l->heads[0]); i++)
		list_init(&l->heads[i]);
	l->counts[0] = l->counts[1] = 0;
	l->next_rotation = &l->heads[UEBPF_LRU_INACTIVE];
	atomic_init(&l->lock.v, 0);
}

/* ---- the common LRU ------------------------------------------------------ */

/* Hands the slot's pending nodes to the global list, oldest first, so the
 * newest ends up at the head. */
static void flush_pending(const struct uebpf_lru *lru, struct uebpf_lru_list *l,
			  struct uebpf_lru_loc *loc)
{
	struct uebpf_lru_node *n, *p;

	for (n = loc->pending.prev; n != &loc->pending; n = p) {
		p = n->prev;
		move_in(lru, l, n,
			is_ref(lru, n) ? UEBPF_LRU_ACTIVE : UEBPF_LRU_INACTIVE);
	}
}

/* Refills the slot's local free list with up to target_free nodes, taking
 * free ones first and evicting for the rest.  loc->lock is held. */
static void refill_local(const struct uebpf_lru *lru, struct uebpf_lru_loc *loc)
{
	struct uebpf_lru_list *l = lru->lists;
	struct uebpf_lru_node *h = &l->heads[UEBPF_LRU_FREE];
	unsigned int got = 0;

	uebpf_spin_lock(&l->lock);
	flush_pending(lru, l, loc);
	rotate(lru, l);
	while (got < lru->target_free && !list_empty(h)) {
		move_to_free(l, h->next, &loc->free, UEBPF_LRU_LOCAL_FREE);
		got++;
	}
	if (got < lru->target_free)
		shrink(lru, l, lru->target_free - got, &loc->free,
		       UEBPF_LRU_LOCAL_FREE);
	uebpf_spin_unlock(&l->lock);
}

static struct uebpf_lru_node *local_pop_free(struct uebpf_lru_loc *loc)
{
	struct uebpf_lru_node *n = loc->free.next;

	if (n == &loc->free)
		return NULL;
	list_del(n);
	return n;
}

/* Steals a pending node, evicting its element: unreferenced ones first. */
static struct uebpf_lru_node *local_pop_pending(const struct uebpf_lru *lru,
						struct uebpf_lru_loc *loc)
{
	struct uebpf_lru_node *n;
	int force;

	for (force = 0; force < 2; force++) {
		for (n = loc->pending.prev; n != &loc->pending; n = n->prev) {
			if ((force || !is_ref(lru, n)) &&
			    lru->del(lru->del_arg, n)) {
				list_del(n);
				n->owner = NULL;
				return n;
			}
		}
	}
	return NULL;
}

static void add_pending(struct uebpf_lru_loc *loc, unsigned int cpu,
			struct uebpf_lru_node *n, void *owner)
{
	n->owner = owner;
	n->cpu = (uint16_t)cpu;
	set_type(n, UEBPF_LRU_LOCAL_PENDING);
	list_add(n, &loc->pending);
}

static struct uebpf_lru_node *common_pop_free(struct uebpf_lru *lru,
					      unsigned int cpu, void *owner)
{
	struct uebpf_lru_loc *loc = &lru->locs[cpu], *victim;
	struct uebpf_lru_node *n;
	unsigned int steal, first;

	uebpf_spin_lock(&loc->lock);
	n = local_pop_free(loc);
	if (!n) {
		refill_local(lru, loc);
		n = local_pop_free(loc);
	}
	if (n)
		add_pending(loc, cpu, n, owner);
	uebpf_spin_unlock(&loc->lock);
	if (n)
		return n;

	/* Nothing free here nor globally: take from the slots' local lists,
	 * round robin from where this slot stopped last time. */
	first = atomic_load_explicit(&loc->next_steal, memory_order_relaxed);
	steal = first;
	do {
		victim = &lru->locs[steal];
		uebpf_spin_lock(&victim->lock);
		n = local_pop_free(victim);
		if (!n)
			n = local_pop_pending(lru, victim);
		uebpf_spin_unlock(&victim->lock);
		steal = steal + 1 < lru->nr_cpus ? steal + 1 : 0;
	} while (!n && steal != first);
	atomic_store_explicit(&loc->next_steal, steal, memory_order_relaxed);
	if (n) {
		uebpf_spin_lock(&loc->lock);
		add_pending(loc, cpu, n, owner);
		uebpf_spin_unlock(&loc->lock);
	}
	return n;
}

static void common_push_free(struct uebpf_lru *lru, struct uebpf_lru_node *n)
{
	struct uebpf_lru_list *l = lru->lists;
	struct uebpf_lru_loc *loc;
	uint8_t t = node_type(n);

	if (t == UEBPF_LRU_FREE || t == UEBPF_LRU_LOCAL_FREE)
		return;
	if (t == UEBPF_LRU_LOCAL_PENDING) {
		loc = &lru->locs[n->cpu];
		uebpf_spin_lock(&loc->lock);
		/* The global list may have taken it meanwhile. */
		if (node_type(n) == UEBPF_LRU_LOCAL_PENDING) {
			set_type(n, UEBPF_LRU_LOCAL_FREE);
			n->owner = NULL;
			list_move(n, &loc->free);
			uebpf_spin_unlock(&loc->lock);
			return;
		}
		uebpf_spin_unlock(&loc->lock);
	}
	uebpf_spin_lock(&l->lock);
	move(lru, l, n, UEBPF_LRU_FREE);
	uebpf_spin_unlock(&l->lock);
}

/* ---- per-CPU LRUs (BPF_F_NO_COMMON_LRU) ---------------------------------- */

static struct uebpf_lru_node *percpu_pop_free(struct uebpf_lru *lru,
					      unsigned int cpu, void *owner)
{
	struct uebpf_lru_list *l = &lru->lists[cpu];
	struct uebpf_lru_node *h = &l->heads[UEBPF_LRU_FREE];
	struct uebpf_lru_node *n = NULL;

	uebpf_spin_lock(&l->lock);
	rotate(lru, l);
	if (list_empty(h))
		shrink(lru, l, PERCPU_FREE_TARGET, h, UEBPF_LRU_FREE);
	if (!list_empty(h)) {
		n = h->next;
		n->owner = owner;
		move(lru, l, n, UEBPF_LRU_INACTIVE);
	}
	uebpf_spin_unlock(&l->lock);
	return n;
}

static void percpu_push_free(struct uebpf_lru *lru, struct uebpf_lru_node *n)
{
	struct uebpf_lru_list *l = &lru->lists[n->cpu];

	uebpf_spin_lock(&l->lock);
	if (node_type(n) != UEBPF_LRU_FREE)
		move(lru, l, n, UEBPF_LRU_FREE);
	uebpf_spin_unlock(&l->lock);
}

/* ---- interface ----------------------------------------------------------- */

struct uebpf_lru_node *uebpf_lru_pop_free(struct uebpf_lru *lru,
					  unsigned int cpu, void *owner)
{
	if (cpu >= lru->nr_cpus)
		cpu = 0;
	return lru->percpu ? percpu_pop_free(lru, cpu, owner)
			   : common_pop_free(lru, cpu, owner);
}

void uebpf_lru_push_free(struct uebpf_lru *lru, struct uebpf_lru_node *node)
{
	if (lru->percpu)
		percpu_push_free(lru, node);
	else
		common_push_free(lru, node);
}

void uebpf_lru_populate(struct uebpf_lru *lru, struct uebpf_lru_node *nodes,
			uint32_t nr)
{
	uint32_t i, per_cpu, cpu = 0;
	uint32_t target;

	if (!lru->percpu) {
		for (i = 0; i < nr; i++) {
			nodes[i].owner = NULL;
			nodes[i].cpu = 0;
			set_type(&nodes[i], UEBPF_LRU_FREE);
			list_add(&nodes[i], &lru->lists->heads[UEBPF_LRU_FREE]);
		}
		/* As kernels since 6.16: a slot takes at most half its fair
		 * share, so small maps are not hoarded by one slot. */
		target = nr / lru->nr_cpus / 2;
		lru->target_free = target < 1 ? 1
				   : target > LOCAL_FREE_TARGET
					   ? LOCAL_FREE_TARGET
					   : target;
		return;
	}
	per_cpu = nr / lru->nr_cpus;
	if (!per_cpu)
		per_cpu = 1;
	for (i = 0; i < nr; i++) {
		if (i && i % per_cpu == 0 && cpu + 1 < lru->nr_cpus)
			cpu++;
		nodes[i].owner = NULL;
		nodes[i].cpu = (uint16_t)cpu;
		set_type(&nodes[i], UEBPF_LRU_FREE);
		list_add(&nodes[i], &lru->lists[cpu].heads[UEBPF_LRU_FREE]);
	}
}

int uebpf_lru_init(struct uebpf_lru *lru, bool percpu, unsigned int nr_cpus,
		   uint32_t ref_off, uebpf_lru_del_fn del, void *del_arg)
{
	unsigned int i, nr_lists = percpu ? nr_cpus : 1;

	memset(lru, 0, sizeof(*lru));
	lru->lists = aligned_alloc(64, nr_lists * sizeof(*lru->lists));
	if (!lru->lists)
		return -ENOMEM;
	for (i = 0; i < nr_lists; i++)
		list_setup(&lru->lists[i]);
	if (!percpu) {
		lru->locs = aligned_alloc(64, nr_cpus * sizeof(*lru->locs));
		if (!lru->locs) {
			free(lru->lists);
			lru->lists = NULL;
			return -ENOMEM;
		}
		for (i = 0; i < nr_cpus; i++) {
			list_init(&lru->locs[i].free);
			list_init(&lru->locs[i].pending);
			atomic_init(&lru->locs[i].next_steal, i);
			atomic_init(&lru->locs[i].lock.v, 0);
		}
	}
	lru->percpu = percpu;
	lru->nr_cpus = nr_cpus;
	lru->nr_scans = percpu ? PERCPU_NR_SCANS : LOCAL_NR_SCANS;
	lru->target_free = LOCAL_FREE_TARGET;
	lru->ref_off = ref_off;
	lru->del = del;
	lru->del_arg = del_arg;
	return 0;
}

void uebpf_lru_destroy(struct uebpf_lru *lru)
{
	free(lru->lists);
	free(lru->locs);
	lru->lists = NULL;
	lru->locs = NULL;
}
