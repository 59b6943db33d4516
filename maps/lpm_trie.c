/* SPDX-License-Identifier: MIT */
/*
 * BPF_MAP_TYPE_LPM_TRIE: longest-prefix match over big-endian bit strings.
 *
 * Keys are the kernel's struct bpf_lpm_trie_key_u8: a host-order u32
 * prefixlen, then data_size bytes compared bit by bit from the most
 * significant bit of data[0].  The trie is a binary path-compressed tree:
 * every node holds a prefix; a child extends its parent's prefix and sits
 * in child[b], b being the first bit past the parent's prefix.  Nodes that
 * only split two subtrees are "intermediate" (no value, never returned).
 *
 * Readers walk with acquire loads and no lock; writers hold trie->lock.
 * A node's prefix and value never change once published: an update links
 * a new node in place of the old one and retires the old through the
 * epoch, so a value pointer a program holds stays valid until it returns.
 * The only in-place change is the intermediate flag (a delete of a node
 * with two children), which readers load atomically.
 */
#include <stdlib.h>

#include "map.h"

#define LPM_DATA_SIZE_MIN 1
#define LPM_DATA_SIZE_MAX 256
#define LPM_KEY_HDR	  4 /* u32 prefixlen */
/* The kernel bounds a node by KMALLOC_MAX_SIZE (4 MiB on x86-64) minus
 * the largest data and its 40-byte node header. */
#define LPM_VAL_SIZE_MAX ((4u << 20) - LPM_DATA_SIZE_MAX - 40)

#define LPM_F_IM    1u /* intermediate: no value of its own */
#define LPM_F_VALUE 2u /* allocated with room for a value */

#define LPM_CREATE_FLAGS                                                     \
	(BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | \
	 BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)

struct lpm_node {
	_Atomic(struct lpm_node *) child[2];
	uint32_t prefixlen;
	atomic_uint flags;
	uint8_t data[]; /* data_size bytes, then the value at val_off */
};

struct lpm_trie {
	struct uebpf_map map;
	_Atomic(struct lpm_node *) root;
	pthread_mutex_t lock;
	uint32_t n_entries; /* under lock */
	uint32_t data_size;
	uint32_t max_prefixlen;
	uint32_t val_off; /* value offset in a node, 8-byte aligned */
};

static inline struct lpm_trie *to_trie(struct uebpf_map *map)
{
	return (struct lpm_trie *)map;
}

static inline struct lpm_node *load(_Atomic(struct lpm_node *) *p)
{
	return atomic_load_explicit(p, memory_order_acquire);
}

static inline void publish(_Atomic(struct lpm_node *) *p, struct lpm_node *n)
{
	atomic_store_explicit(p, n, memory_order_release);
}

static inline bool is_im(struct lpm_node *n)
{
	return atomic_load_explicit(&n->flags, memory_order_acquire) & LPM_F_IM;
}

static inline int get_bit(const uint8_t *data, uint32_t i)
{
	return (data[i / 8] >> (7 - i % 8)) & 1;
}

static inline uint32_t key_prefixlen(const void *key)
{
	uint32_t p;

	memcpy(&p, key, sizeof(p)); /* keys may be unaligned on the host */
	return p;
}

static inline const uint8_t *key_data(const void *key)
{
	return (const uint8_t *)key + LPM_KEY_HDR;
}

/* n (1..8) bytes at p as the top of a big-endian u64. */
static inline uint64_t load_be(const uint8_t *p, uint32_t n)
{
	uint64_t v = 0;
	uint32_t w, i;

	if (n == 8) {
		memcpy(&v, p, 8);
		return __builtin_bswap64(v);
	}
	if (n == 4) {
		memcpy(&w, p, 4);
		return (uint64_t)__builtin_bswap32(w) << 32;
	}
	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (56 - 8 * i);
	return v;
}

/* Leading bits a and b share, at most limit (<= data_size * 8). */
static uint32_t common_bits(const uint8_t *a, const uint8_t *b, uint32_t limit)
{
	uint32_t i, chunk, n = 0, bytes = (limit + 7) / 8;
	uint64_t diff;

	for (i = 0; i < bytes; i += chunk) {
		chunk = bytes - i < 8 ? bytes - i : 8;
		diff = load_be(a + i, chunk) ^ load_be(b + i, chunk);
		if (diff) {
			n += __builtin_clzll(diff);
			break;
		}
		n += chunk * 8;
	}
	return n < limit ? n : limit;
}

/* How much of n's prefix the key matches, up to the key's prefixlen. */
static uint32_t match_len(const struct lpm_node *n, const uint8_t *data,
			  uint32_t prefixlen)
{
	uint32_t limit = n->prefixlen < prefixlen ? n->prefixlen : prefixlen;

	return common_bits(n->data, data, limit);
}

static size_t node_size(const struct lpm_trie *t, bool value)
{
	return value ? (size_t)t->val_off + t->map.value_size
		     : sizeof(struct lpm_node) + t->data_size;
}

static struct lpm_node *node_new(struct lpm_trie *t, const uint8_t *data,
				 uint32_t prefixlen, const void *value)
{
	size_t sz = node_size(t, value != NULL);
	struct lpm_node *n;

	if (uebpf_map_charge(&t->map, sz))
		return NULL;
	n = malloc(sz);
	if (!n) {
		uebpf_map_uncharge(&t->map, sz);
		return NULL;
	}
	atomic_init(&n->child[0], NULL);
	atomic_init(&n->child[1], NULL);
	n->prefixlen = prefixlen;
	atomic_init(&n->flags, value ? LPM_F_VALUE : LPM_F_IM);
	memcpy(n->data, data, t->data_size);
	if (value)
		memcpy((uint8_t *)n + t->val_off, value, t->map.value_size);
	return n;
}

static size_t node_bytes(const struct lpm_trie *t, struct lpm_node *n)
{
	return node_size(t,
			 atomic_load_explicit(&n->flags, memory_order_relaxed) &
				 LPM_F_VALUE);
}

/* Unlinked now; freed once no reader can hold it. */
static void node_retire(struct lpm_trie *t, struct lpm_node *n)
{
	uebpf_map_uncharge(&t->map, node_bytes(t, n));
	uebpf_epoch_retire(&t->map.rt->epoch, n, free);
}

/* Never published, or no reader is left. */
static void node_free(struct lpm_trie *t, struct lpm_node *n)
{
	if (!n)
		return;
	uebpf_map_uncharge(&t->map, node_bytes(t, n));
	free(n);
}

static void *trie_lookup(struct uebpf_map *map, const void *key)
{
	struct lpm_trie *t = to_trie(map);
	uint32_t plen = key_prefixlen(key), m;
	const uint8_t *data = key_data(key);
	struct lpm_node *n, *found = NULL;

	if (plen > t->max_prefixlen)
		return NULL;
	for (n = load(&t->root); n;) {
		m = match_len(n, data, plen);
		if (m == t->max_prefixlen) {
			found = n; /* exact /max match: nothing more specific */
			break;
		}
		if (m < n->prefixlen)
			break;
		if (!is_im(n))
			found = n;
		n = load(&n->child[get_bit(data, n->prefixlen)]);
	}
	return found ? (uint8_t *)found + t->val_off : NULL;
}

/* Counts a new element in, as the kernel's trie_check_add_elem(). */
static int check_add(struct lpm_trie *t, uint64_t flags)
{
	if (flags == BPF_EXIST)
		return -ENOENT;
	if (t->n_entries == t->map.max_entries)
		return -ENOSPC;
	t->n_entries++;
	return 0;
}

static long trie_update(struct uebpf_map *map, const void *key,
			const void *value, uint64_t flags)
{
	struct lpm_trie *t = to_trie(map);
	uint32_t plen = key_prefixlen(key), m = 0;
	const uint8_t *data = key_data(key);
	struct lpm_node *n, *new, *im, *old = NULL;
	_Atomic(struct lpm_node *) *slot;
	long err = 0;

	if (flags > BPF_EXIST)
		return -EINVAL;
	if (plen > t->max_prefixlen)
		return -EINVAL;
	new = node_new(t, data, plen, value);
	if (!new)
		return -ENOMEM;

	pthread_mutex_lock(&t->lock);
	/* Walk down while n's whole prefix matches and the key is longer. */
	slot = &t->root;
	while ((n = atomic_load_explicit(slot, memory_order_relaxed))) {
		m = match_len(n, data, plen);
		if (n->prefixlen != m || n->prefixlen == plen)
			break;
		slot = &n->child[get_bit(data, n->prefixlen)];
	}

	if (!n) { /* empty slot */
		err = check_add(t, flags);
		if (!err)
			publish(slot, new);
		goto out;
	}

	if (n->prefixlen == m) { /* same prefix: replace the node */
		if (!is_im(n)) {
			if (flags == BPF_NOEXIST) {
				err = -EEXIST;
				goto out;
			}
		} else {
			err = check_add(t, flags);
			if (err)
				goto out;
		}
		atomic_init(&new->child[0], load(&n->child[0]));
		atomic_init(&new->child[1], load(&n->child[1]));
		publish(slot, new);
		old = n;
		goto out;
	}

	err = check_add(t, flags);
	if (err)
		goto out;

	if (m == plen) { /* the new prefix covers n: insert above it */
		atomic_init(&new->child[get_bit(n->data, m)], n);
		publish(slot, new);
		goto out;
	}

	/* They diverge at bit m: an intermediate node splits them. */
	im = node_new(t, n->data, m, NULL);
	if (!im) {
		t->n_entries--;
		err = -ENOMEM;
		goto out;
	}
	atomic_init(&im->child[get_bit(data, m)], new);
	atomic_init(&im->child[!get_bit(data, m)], n);
	publish(slot, im);
out:
	pthread_mutex_unlock(&t->lock);
	if (err)
		node_free(t, new);
	if (old)
		node_retire(t, old);
	return err;
}

static long trie_delete(struct uebpf_map *map, const void *key)
{
	struct lpm_trie *t = to_trie(map);
	uint32_t plen = key_prefixlen(key), m = 0;
	const uint8_t *data = key_data(key);
	_Atomic(struct lpm_node *) *slot, *pslot;
	struct lpm_node *n, *parent = NULL, *c0, *c1;
	struct lpm_node *gone = NULL, *gone_parent = NULL;
	long err = 0;

	if (plen > t->max_prefixlen)
		return -EINVAL;

	pthread_mutex_lock(&t->lock);
	slot = pslot = &t->root;
	while ((n = atomic_load_explicit(slot, memory_order_relaxed))) {
		m = match_len(n, data, plen);
		if (n->prefixlen != m || n->prefixlen == plen)
			break;
		parent = n;
		pslot = slot;
		slot = &n->child[get_bit(data, n->prefixlen)];
	}
	if (!n || n->prefixlen != plen || n->prefixlen != m || is_im(n)) {
		err = -ENOENT;
		goto out;
	}
	t->n_entries--;

	c0 = atomic_load_explicit(&n->child[0], memory_order_relaxed);
	c1 = atomic_load_explicit(&n->child[1], memory_order_relaxed);
	if (c0 && c1) {
		/* Still needed to split its children: keep it, valueless. */
		atomic_fetch_or_explicit(&n->flags, LPM_F_IM,
					 memory_order_release);
		goto out;
	}
	if (parent && is_im(parent) && !c0 && !c1) {
		/* A leaf under an intermediate node: the split is no longer
		 * needed, the sibling takes the parent's place. */
		c0 = atomic_load_explicit(&parent->child[0],
					  memory_order_relaxed);
		c1 = atomic_load_explicit(&parent->child[1],
					  memory_order_relaxed);
		publish(pslot, c0 == n ? c1 : c0);
		gone_parent = parent;
		gone = n;
		goto out;
	}
	publish(slot, c0 ? c0 : c1);
	gone = n;
out:
	pthread_mutex_unlock(&t->lock);
	if (gone)
		node_retire(t, gone);
	if (gone_parent)
		node_retire(t, gone_parent);
	return err;
}

/* The first node in post-order under root: the leftmost real node, whose
 * left subtree is empty and right subtree done before it.  Intermediate
 * nodes always have two children, so the walk ends on a real node. */
static struct lpm_node *leftmost(struct lpm_node *n)
{
	struct lpm_node *next = NULL, *c;

	while (n) {
		if (is_im(n)) {
			c = load(&n->child[0]);
			n = c ? c : load(&n->child[1]);
		} else {
			next = n;
			c = load(&n->child[0]);
			n = c ? c : load(&n->child[1]);
		}
	}
	return next;
}

/* The node after key in post-order, NULL after the last.  A key that is
 * not an element starts over from the first. */
static struct lpm_node *successor(const struct lpm_trie *t,
				  struct lpm_node *root, const void *key,
				  struct lpm_node **stack)
{
	uint32_t plen = key_prefixlen(key), m = 0, depth = 0;
	const uint8_t *data = key_data(key);
	struct lpm_node *n, *parent, *sib;

	for (n = root; n; n = load(&n->child[get_bit(data, n->prefixlen)])) {
		/* Prefix lengths grow strictly down any path, racing
		 * writers or not: max_prefixlen + 1 levels at most. */
		if (depth > t->max_prefixlen)
			return leftmost(root);
		stack[depth++] = n;
		m = match_len(n, data, plen);
		if (n->prefixlen != m || n->prefixlen == plen)
			break;
	}
	if (!n || n->prefixlen != plen || n->prefixlen != m || is_im(n))
		return leftmost(root);

	/* Climb to the right sibling's subtree or the first real parent. */
	for (n = stack[--depth]; depth > 0; n = parent) {
		parent = stack[--depth];
		if (load(&parent->child[0]) == n &&
		    (sib = load(&parent->child[1])))
			return leftmost(sib);
		if (!is_im(parent))
			return parent;
	}
	return NULL;
}

/*
 * Post-order, as the kernel's trie_get_next_key(): more specific prefixes
 * before the ones that cover them, child[0] subtrees before child[1].
 * A NULL key, a key with a too-long prefix or a key not in the trie start
 * over from the first node.
 */
static int trie_get_next_key(struct uebpf_map *map, const void *key,
			     void *next_key)
{
	struct lpm_trie *t = to_trie(map);
	struct lpm_node *root, *next, **stack;
	struct lpm_node *small[129]; /* up to IPv6 without a malloc */

	root = load(&t->root);
	if (!root)
		return -ENOENT;
	if (!key || key_prefixlen(key) > t->max_prefixlen) {
		next = leftmost(root);
	} else {
		stack = small;
		if (t->max_prefixlen + 1 > ARRAY_SIZE(small)) {
			stack = malloc(((size_t)t->max_prefixlen + 1) *
				       sizeof(*stack));
			if (!stack)
				return -ENOMEM;
		}
		next = successor(t, root, key, stack);
		if (stack != small)
			free(stack);
	}
	if (!next)
		return -ENOENT;
	memcpy(next_key, &next->prefixlen, LPM_KEY_HDR);
	memcpy((uint8_t *)next_key + LPM_KEY_HDR, next->data, t->data_size);
	return 0;
}

static int trie_check(struct uebpf_map *attr)
{
	if (!attr->max_entries) {
		map_warn(attr, "LPM_TRIE needs max_entries > 0\n");
		return -EINVAL;
	}
	if (!(attr->map_flags & BPF_F_NO_PREALLOC)) {
		map_warn(attr,
			 "LPM_TRIE must be created with BPF_F_NO_PREALLOC\n");
		return -EINVAL;
	}
	if (attr->map_flags & ~LPM_CREATE_FLAGS) {
		map_warn(attr, "map_flags 0x%x are not allowed for LPM_TRIE\n",
			 attr->map_flags & ~LPM_CREATE_FLAGS);
		return -EINVAL;
	}
	if (attr->key_size < LPM_KEY_HDR + LPM_DATA_SIZE_MIN ||
	    attr->key_size > LPM_KEY_HDR + LPM_DATA_SIZE_MAX) {
		map_warn(attr, "LPM_TRIE key_size %u: must be 4 (prefixlen) + 1..256 data bytes\n",
			 attr->key_size);
		return -EINVAL;
	}
	if (attr->value_size < 1 || attr->value_size > LPM_VAL_SIZE_MAX) {
		map_warn(attr, "LPM_TRIE value_size %u: must be 1..%u\n",
			 attr->value_size, LPM_VAL_SIZE_MAX);
		return -EINVAL;
	}
	return 0;
}

static int trie_alloc(const struct uebpf_map *attr, struct uebpf_map **out)
{
	struct lpm_trie *t;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->map = *attr;
	atomic_init(&t->root, NULL);
	t->data_size = attr->key_size - LPM_KEY_HDR;
	t->max_prefixlen = t->data_size * 8;
	t->val_off = round_up8(sizeof(struct lpm_node) + t->data_size);
	if (pthread_mutex_init(&t->lock, NULL)) {
		free(t);
		return -ENOMEM;
	}
	*out = &t->map;
	return 0;
}

/* No reader is left: free depth-first without the epoch. */
static void free_subtree(struct lpm_trie *t, struct lpm_node *n)
{
	struct lpm_node *c;

	while (n) {
		free_subtree(t, atomic_load_explicit(&n->child[0],
						     memory_order_relaxed));
		c = atomic_load_explicit(&n->child[1], memory_order_relaxed);
		node_free(t, n);
		n = c; /* loop on the right: recursion only as deep as lefts */
	}
}

static void trie_free(struct uebpf_map *map)
{
	struct lpm_trie *t = to_trie(map);

	free_subtree(t, atomic_load_explicit(&t->root, memory_order_relaxed));
	pthread_mutex_destroy(&t->lock);
	free(t);
}

const struct uebpf_map_ops uebpf_lpm_trie_ops = {
	.check = trie_check,
	.alloc = trie_alloc,
	.free = trie_free,
	.lookup = trie_lookup,
	.update = trie_update,
	.delete = trie_delete,
	.get_next_key = trie_get_next_key,
};
