/* SPDX-License-Identifier: MIT */
/*
 * BPF_MAP_TYPE_LPM_TRIE: creation checks, longest-prefix match (IPv4,
 * IPv6, 8-bit and 2048-bit keys), update flags, full trie, deletes,
 * get_next_key in the kernel's post-order (checked against an independent
 * ordering), memory accounting, value pointers that outlive a delete, and
 * readers + writer + iterator running together.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <time.h>

#include "map_test.h"

#define ENOTSUPP 524

struct key4 {
	uint32_t prefixlen;
	uint8_t data[4];
};

struct key6 {
	uint32_t prefixlen;
	uint8_t data[16];
};

static struct uebpf_map *new_trie(struct uebpf_runtime *rt, uint32_t key_size,
				  uint32_t value_size, uint32_t max_entries)
{
	UEBPF_OPTS(uebpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	struct uebpf_map *m;

	m = uebpf_map_create(rt, BPF_MAP_TYPE_LPM_TRIE, "lpm", key_size,
			     value_size, max_entries, &o);
	assert_non_null(m);
	return m;
}

static struct key4 k4(const char *addr, uint32_t prefixlen)
{
	struct key4 k = {.prefixlen = prefixlen};

	assert_int_equal(inet_pton(AF_INET, addr, k.data), 1);
	return k;
}

static struct key6 k6(const char *addr, uint32_t prefixlen)
{
	struct key6 k = {.prefixlen = prefixlen};

	assert_int_equal(inet_pton(AF_INET6, addr, k.data), 1);
	return k;
}

static void put4(struct uebpf_map *m, const char *a, uint32_t plen, uint64_t v,
		 uint64_t flags)
{
	struct key4 k = k4(a, plen);

	assert_int_equal(uebpf_map_update_elem(m, &k, &v, flags), 0);
}

/* The value the longest match for addr/32 holds, or -errno. */
static int64_t match4(struct uebpf_map *m, const char *a)
{
	struct key4 k = k4(a, 32);
	uint64_t v;
	int err = uebpf_map_lookup_elem(m, &k, &v);

	return err ? err : (int64_t)v;
}

/* create_err() for a trie. */
static int trie_err(uint32_t key_size, uint32_t value_size,
		    uint32_t max_entries, uint32_t flags)
{
	return create_err(BPF_MAP_TYPE_LPM_TRIE, key_size, value_size,
			  max_entries, flags, 0);
}

/* ---- creation ------------------------------------------------------------ */

static void test_create_checks(void **state)
{
	uint32_t np = BPF_F_NO_PREALLOC;

	(void)state;
	assert_int_equal(trie_err(8, 8, 16, np), 0);
	assert_int_equal(trie_err(8, 8, 16, 0), -EINVAL); /* prealloc */
	assert_int_equal(trie_err(8, 8, 0, np), -EINVAL);
	assert_int_equal(trie_err(4, 8, 16, np), -EINVAL); /* no data */
	assert_int_equal(trie_err(5, 8, 16, np), 0);
	assert_int_equal(trie_err(260, 8, 16, np), 0);
	assert_int_equal(trie_err(261, 8, 16, np), -EINVAL);
	assert_int_equal(trie_err(0, 8, 16, np), -EINVAL);
	assert_int_equal(trie_err(UINT32_MAX, 8, 16, np), -EINVAL);
	assert_int_equal(trie_err(8, 0, 16, np), -EINVAL);
	assert_int_equal(trie_err(8, 4194008, 16, np), 0);
	assert_int_equal(trie_err(8, 4194009, 16, np), -EINVAL);
	assert_int_equal(trie_err(8, UINT32_MAX, 16, np), -EINVAL);
	assert_int_equal(trie_err(8, 8, UINT32_MAX, np), 0); /* lazy */
	assert_int_equal(trie_err(8, 8, 16, np | BPF_F_RDONLY_PROG), 0);
	assert_int_equal(trie_err(8, 8, 16, np | BPF_F_WRONLY_PROG), 0);
	assert_int_equal(trie_err(8, 8, 16, np | BPF_F_NUMA_NODE), 0);
	assert_int_equal(trie_err(8, 8, 16, np | BPF_F_RDONLY), 0);
	assert_int_equal(trie_err(8, 8, 16, np | BPF_F_MMAPABLE), -EINVAL);
	assert_int_equal(trie_err(8, 8, 16, np | BPF_F_ZERO_SEED), -EINVAL);
	assert_int_equal(trie_err(8, 8, 16, np | BPF_F_NO_COMMON_LRU), -EINVAL);
	assert_int_equal(trie_err(8, 8, 16, np | BPF_F_INNER_MAP), -EINVAL);
}

/* ---- lookups ----------------------------------------------------------------
 */

static void test_ipv4_longest_match(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(2, 0);
	struct uebpf_map *m = new_trie(rt, 8, 8, 64);
	struct key4 k;
	uint64_t v;

	(void)state;
	assert_int_equal(match4(m, "10.1.1.1"), -ENOENT); /* empty */
	put4(m, "10.0.0.0", 8, 8, BPF_ANY);
	put4(m, "10.1.0.0", 16, 16, BPF_ANY);
	put4(m, "10.1.1.0", 24, 24, BPF_ANY);
	assert_int_equal(match4(m, "10.1.1.77"), 24);
	assert_int_equal(match4(m, "10.1.2.3"), 16);
	assert_int_equal(match4(m, "10.200.0.1"), 8);
	assert_int_equal(match4(m, "11.0.0.1"), -ENOENT); /* no default */
	assert_int_equal(match4(m, "9.255.255.255"), -ENOENT);

	put4(m, "0.0.0.0", 0, 100, BPF_ANY);	 /* default route */
	put4(m, "192.168.1.1", 32, 32, BPF_ANY); /* a host */
	assert_int_equal(match4(m, "11.0.0.1"), 100);
	assert_int_equal(match4(m, "255.255.255.255"), 100);
	assert_int_equal(match4(m, "192.168.1.1"), 32);
	assert_int_equal(match4(m, "192.168.1.0"), 100);
	assert_int_equal(match4(m, "192.168.1.2"), 100);
	assert_int_equal(match4(m, "10.1.1.255"), 24);

	/* The key's prefixlen caps the match: 10.1.1.77/16 can only use
	 * prefixes of 16 bits or less. */
	k = k4("10.1.1.77", 16);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &v), 0);
	assert_int_equal(v, 16);
	k = k4("10.1.1.77", 12);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &v), 0);
	assert_int_equal(v, 8);
	k = k4("10.1.1.77", 0);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &v), 0);
	assert_int_equal(v, 100);
	k = k4("10.1.1.77", 33); /* longer than the data: no match */
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &v), -ENOENT);

	/* Bits past a stored prefix do not matter. */
	put4(m, "172.16.99.99", 12, 12, BPF_ANY);
	assert_int_equal(match4(m, "172.31.0.1"), 12);
	assert_int_equal(match4(m, "172.32.0.1"), 100);

	/* The lookup ignores trailing key bits as well. */
	k = k4("10.1.1.77", 24);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &v), 0);
	assert_int_equal(v, 24);

	/* lookup_and_delete and freeze-less ops the kernel lacks. */
	k = k4("10.1.1.0", 24);
	assert_int_equal(uebpf_map_lookup_and_delete_elem(m, &k, &v),
			 -ENOTSUPP);
	put_and_check_uncharged(rt, m);
}

static void test_ipv6(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(2, 0);
	struct uebpf_map *m = new_trie(rt, 20, 8, 64);
	struct key6 k;
	uint64_t v;

	(void)state;
	k = k6("2001:db8::", 32);
	v = 32;
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST), 0);
	k = k6("2001:db8:1::", 48);
	v = 48;
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST), 0);
	k = k6("2001:db8:1::1", 128);
	v = 128;
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST), 0);
	k = k6("2001:db8:8000::", 33);
	v = 33;
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST), 0);

	k = k6("2001:db8:1::1", 128);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &v), 0);
	assert_int_equal(v, 128);
	k = k6("2001:db8:1::2", 128);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &v), 0);
	assert_int_equal(v, 48);
	k = k6("2001:db8:2::1", 128);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &v), 0);
	assert_int_equal(v, 32);
	k = k6("2001:db8:ffff::1", 128);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &v), 0);
	assert_int_equal(v, 33);
	k = k6("2001:db9::1", 128);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &v), -ENOENT);
	k = k6("::", 0);
	v = 0;
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
	k = k6("2001:db9::1", 128);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &v), 0);
	assert_int_equal(v, 0);
	k = k6("2001:db8:1::1", 129);
	assert_int_equal(uebpf_map_lookup_elem(m, &k, &v), -ENOENT);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), -EINVAL);
	put_and_check_uncharged(rt, m);
}

/* The smallest (1 data byte) and largest (256 bytes, /2048) keys. */
static void test_key_size_bounds(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(2, 0);
	struct uebpf_map *m = new_trie(rt, 5, 1, 8);
	struct {
		uint32_t prefixlen;
		uint8_t data[256];
	} big;
	uint8_t k[5], v;

	(void)state;
	memcpy(k, &(uint32_t){4}, 4);
	k[4] = 0xa0; /* 1010 */
	v = 4;
	assert_int_equal(uebpf_map_update_elem(m, k, &v, BPF_ANY), 0);
	memcpy(k, &(uint32_t){8}, 4);
	k[4] = 0xa5;
	v = 8;
	assert_int_equal(uebpf_map_update_elem(m, k, &v, BPF_ANY), 0);
	assert_int_equal(uebpf_map_lookup_elem(m, k, &v), 0);
	assert_int_equal(v, 8);
	k[4] = 0xaf;
	assert_int_equal(uebpf_map_lookup_elem(m, k, &v), 0);
	assert_int_equal(v, 4);
	k[4] = 0xbf;
	assert_int_equal(uebpf_map_lookup_elem(m, k, &v), -ENOENT);
	memcpy(k, &(uint32_t){9}, 4);
	assert_int_equal(uebpf_map_update_elem(m, k, &v, BPF_ANY), -EINVAL);
	assert_int_equal(uebpf_map_delete_elem(m, k), -EINVAL);
	uebpf_map_put(m);

	m = new_trie(rt, 260, 1, 8);
	memset(&big, 0x5a, sizeof(big));
	big.prefixlen = 2048;
	v = 1;
	assert_int_equal(uebpf_map_update_elem(m, &big, &v, BPF_ANY), 0);
	big.prefixlen = 2047;
	v = 2;
	assert_int_equal(uebpf_map_update_elem(m, &big, &v, BPF_ANY), 0);
	big.prefixlen = 2048;
	assert_int_equal(uebpf_map_lookup_elem(m, &big, &v), 0);
	assert_int_equal(v, 1);
	big.data[255] ^= 1; /* last bit differs */
	assert_int_equal(uebpf_map_lookup_elem(m, &big, &v), 0);
	assert_int_equal(v, 2);
	big.data[255] ^= 2;
	assert_int_equal(uebpf_map_lookup_elem(m, &big, &v), -ENOENT);
	big.prefixlen = 2049;
	assert_int_equal(uebpf_map_update_elem(m, &big, &v, BPF_ANY), -EINVAL);
	put_and_check_uncharged(rt, m);
}

/* ---- updates ------------------------------------------------------------- */

static void test_update_flags(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(2, 0);
	struct uebpf_map *m = new_trie(rt, 8, 8, 16);
	struct key4 k = k4("10.0.0.0", 8), next;
	struct uebpf_epoch_rec *rec;
	uint64_t v = 1;

	(void)state;
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_EXIST), -ENOENT);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST), 0);
	v = 2;
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST),
			 -EEXIST);
	assert_int_equal(match4(m, "10.1.1.1"), 1);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_EXIST), 0);
	assert_int_equal(match4(m, "10.1.1.1"), 2);
	v = 3;
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), 0);
	assert_int_equal(match4(m, "10.1.1.1"), 3);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, 3), -EINVAL);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_F_LOCK), -EINVAL);

	/* Program side gets raw flags and checks them as the helper. */
	rec = uebpf_epoch_enter(&rt->epoch);
	assert_int_equal(m->ops->update(m, &k, &v, BPF_F_LOCK), -EINVAL);
	assert_int_equal(m->ops->update(m, &k, &v, 3), -EINVAL);
	v = 4;
	assert_int_equal(m->ops->update(m, &k, &v, BPF_EXIST), 0);
	assert_int_equal(*(uint64_t *)m->ops->lookup(m, &k), 4);
	uebpf_epoch_exit(rec);

	/* An update stores the key bytes it was given, trailing bits too. */
	k = k4("10.9.9.9", 8);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_EXIST), 0);
	assert_int_equal(uebpf_map_get_next_key(m, NULL, &next), 0);
	assert_int_equal(next.prefixlen, 8);
	assert_memory_equal(next.data, k.data, 4);

	/* A prefix that only exists as a split node is not an element. */
	put4(m, "10.1.0.0", 16, 16, BPF_ANY);
	put4(m, "10.2.0.0", 16, 16, BPF_ANY); /* split at 10.0.0.0/14 */
	k = k4("10.0.0.0", 14);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_EXIST), -ENOENT);
	assert_int_equal(uebpf_map_delete_elem(m, &k), -ENOENT);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST), 0);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST),
			 -EEXIST);
	put_and_check_uncharged(rt, m);
}

static void test_full(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(2, 0);
	struct uebpf_map *m = new_trie(rt, 8, 8, 3);
	struct key4 k;
	uint64_t v = 7;

	(void)state;
	/* Two diverging /16s need a split node: it does not count. */
	put4(m, "10.1.0.0", 16, 1, BPF_ANY);
	put4(m, "10.2.0.0", 16, 2, BPF_ANY);
	put4(m, "10.3.0.0", 16, 3, BPF_ANY);
	k = k4("10.4.0.0", 16);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), -ENOSPC);
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST),
			 -ENOSPC);
	/* BPF_EXIST on a missing key says so before the trie is full. */
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_EXIST), -ENOENT);
	k = k4("10.0.0.0", 8); /* an ancestor is a new element too */
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), -ENOSPC);
	k = k4("10.0.0.0", 14); /* so is a split node turned real */
	assert_int_equal(uebpf_map_update_elem(m, &k, &v, BPF_ANY), -ENOSPC);
	/* Replacing an element still works when full. */
	put4(m, "10.2.0.0", 16, 22, BPF_ANY);
	put4(m, "10.2.0.0", 16, 23, BPF_EXIST);
	assert_int_equal(match4(m, "10.2.3.4"), 23);
	k = k4("10.1.0.0", 16);
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	put4(m, "10.4.0.0", 16, 4, BPF_ANY);
	assert_int_equal(match4(m, "10.4.0.1"), 4);
	assert_int_equal(match4(m, "10.1.0.1"), -ENOENT);
	put_and_check_uncharged(rt, m);
}

/* ---- deletes ----------------------------------------------------------------
 */

static void test_delete(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(2, 0);
	struct uebpf_map *m = new_trie(rt, 8, 8, 64);
	struct key4 k;

	(void)state;
	put4(m, "0.0.0.0", 0, 100, BPF_ANY);
	put4(m, "10.0.0.0", 8, 8, BPF_ANY);
	put4(m, "10.1.0.0", 16, 16, BPF_ANY);
	put4(m, "10.1.1.0", 24, 24, BPF_ANY);

	/* A middle prefix: its child moves up, the rest still matches. */
	k = k4("10.1.0.0", 16);
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	assert_int_equal(uebpf_map_delete_elem(m, &k), -ENOENT);
	assert_int_equal(match4(m, "10.1.1.1"), 24);
	assert_int_equal(match4(m, "10.1.2.1"), 8);
	assert_int_equal(match4(m, "11.0.0.1"), 100);

	/* Exact match only: covering or covered prefixes do not count. */
	k = k4("10.1.1.0", 23);
	assert_int_equal(uebpf_map_delete_elem(m, &k), -ENOENT);
	k = k4("10.1.1.0", 25);
	assert_int_equal(uebpf_map_delete_elem(m, &k), -ENOENT);
	k = k4("10.1.1.0", 33);
	assert_int_equal(uebpf_map_delete_elem(m, &k), -EINVAL);

	/* A prefix with two children stays as a split node. */
	put4(m, "10.128.0.0", 16, 128, BPF_ANY);
	put4(m, "10.1.0.0", 16, 16, BPF_ANY);
	k = k4("10.0.0.0", 8);
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	assert_int_equal(match4(m, "10.1.1.1"), 24);
	assert_int_equal(match4(m, "10.1.2.1"), 16);
	assert_int_equal(match4(m, "10.128.2.1"), 128);
	assert_int_equal(match4(m, "10.64.0.1"), 100);
	assert_int_equal(uebpf_map_delete_elem(m, &k), -ENOENT);

	/* A leaf under a split node: the split goes, its sibling moves up. */
	k = k4("10.128.0.0", 16);
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	assert_int_equal(match4(m, "10.1.1.1"), 24);
	assert_int_equal(match4(m, "10.1.2.1"), 16);
	assert_int_equal(match4(m, "10.128.2.1"), 100);
	assert_int_equal(match4(m, "10.64.0.1"), 100);

	/* 10.0.0.0/8 is a new element again, above the /16. */
	put4(m, "10.0.0.0", 8, 88, BPF_NOEXIST);
	assert_int_equal(match4(m, "10.64.0.1"), 88);
	assert_int_equal(match4(m, "10.1.2.1"), 16);
	k = k4("10.0.0.0", 8);
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	assert_int_equal(match4(m, "10.64.0.1"), 100);
	assert_int_equal(match4(m, "10.1.1.1"), 24);

	k = k4("0.0.0.0", 0);
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	k = k4("10.1.0.0", 16);
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	k = k4("10.1.1.0", 24);
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	assert_int_equal(uebpf_map_delete_elem(m, &k), -ENOENT);
	assert_int_equal(match4(m, "10.1.1.1"), -ENOENT);
	assert_int_equal(uebpf_map_get_next_key(m, NULL, &k), -ENOENT);
	put_and_check_uncharged(rt, m);
}

/* ---- get_next_key
 * ------------------------------------------------------------ */

/* Walks the whole trie from NULL; returns the number of keys. */
static int walk4(struct uebpf_map *m, struct key4 *out, int max)
{
	struct key4 cur, next;
	int n = 0, err;

	err = uebpf_map_get_next_key(m, NULL, &next);
	while (!err) {
		assert_true(n < max);
		out[n++] = next;
		cur = next;
		err = uebpf_map_get_next_key(m, &cur, &next);
	}
	assert_int_equal(err, -ENOENT);
	return n;
}

static void assert_key4(const struct key4 *k, const char *a, uint32_t plen)
{
	struct key4 want = k4(a, plen);

	if (k->prefixlen != plen || memcmp(k->data, want.data, 4)) {
		char buf[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, k->data, buf, sizeof(buf));
		fail_msg("got %s/%u, want %s/%u", buf, k->prefixlen, a, plen);
	}
}

/*
 * The kernel walks post-order from the leftmost node.  For this trie
 *
 *            0.0.0.0/0
 *            /        \
 *        10.0.0.0/8   192.168.1.1/32
 *          /
 *     (10.0.0.0/14)            split node, not an element
 *       /       \
 *  10.1.0.0/16  10.2.0.0/16
 *     /
 *  10.1.1.0/24
 *
 * that is 10.1.1.0/24, 10.1.0.0/16, 10.2.0.0/16, 10.0.0.0/8,
 * 192.168.1.1/32, 0.0.0.0/0.
 */
static void test_get_next_key_order(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(2, 0);
	struct uebpf_map *m = new_trie(rt, 8, 8, 64);
	struct key4 keys[16], k, next;
	int n;

	(void)state;
	assert_int_equal(uebpf_map_get_next_key(m, NULL, &next), -ENOENT);
	put4(m, "192.168.1.1", 32, 0, BPF_ANY);
	put4(m, "10.1.1.0", 24, 0, BPF_ANY);
	put4(m, "0.0.0.0", 0, 0, BPF_ANY);
	put4(m, "10.2.0.0", 16, 0, BPF_ANY);
	put4(m, "10.0.0.0", 8, 0, BPF_ANY);
	put4(m, "10.1.0.0", 16, 0, BPF_ANY);

	n = walk4(m, keys, 16);
	assert_int_equal(n, 6);
	assert_key4(&keys[0], "10.1.1.0", 24);
	assert_key4(&keys[1], "10.1.0.0", 16);
	assert_key4(&keys[2], "10.2.0.0", 16);
	assert_key4(&keys[3], "10.0.0.0", 8);
	assert_key4(&keys[4], "192.168.1.1", 32);
	assert_key4(&keys[5], "0.0.0.0", 0);

	/* Keys that are not elements start over from the first. */
	k = k4("10.3.0.0", 16);
	assert_int_equal(uebpf_map_get_next_key(m, &k, &next), 0);
	assert_key4(&next, "10.1.1.0", 24);
	k = k4("10.0.0.0", 14); /* the split node */
	assert_int_equal(uebpf_map_get_next_key(m, &k, &next), 0);
	assert_key4(&next, "10.1.1.0", 24);
	k = k4("10.1.1.0", 33);
	assert_int_equal(uebpf_map_get_next_key(m, &k, &next), 0);
	assert_key4(&next, "10.1.1.0", 24);
	k = k4("0.0.0.0", 0);
	assert_int_equal(uebpf_map_get_next_key(m, &k, &next), -ENOENT);

	/* Deleting the middle /16 moves its /24 up under the split. */
	k = k4("10.1.0.0", 16);
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	assert_int_equal(uebpf_map_get_next_key(m, &k, &next), 0);
	assert_key4(&next, "10.1.1.0", 24); /* gone: from the first */
	n = walk4(m, keys, 16);
	assert_int_equal(n, 5);
	assert_key4(&keys[0], "10.1.1.0", 24);
	assert_key4(&keys[1], "10.2.0.0", 16);
	assert_key4(&keys[2], "10.0.0.0", 8);
	assert_key4(&keys[3], "192.168.1.1", 32);
	assert_key4(&keys[4], "0.0.0.0", 0);

	/* Then the /24: the split goes, 10.2.0.0/16 is first. */
	k = k4("10.1.1.0", 24);
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	n = walk4(m, keys, 16);
	assert_int_equal(n, 4);
	assert_key4(&keys[0], "10.2.0.0", 16);
	assert_key4(&keys[1], "10.0.0.0", 8);
	assert_key4(&keys[2], "192.168.1.1", 32);
	assert_key4(&keys[3], "0.0.0.0", 0);

	/* The kernel has no batch operations for LPM tries: ENOTSUPP. */
	{
		struct key4 bk[8], out;
		uint64_t bv[8];
		uint32_t count = 8;

		assert_int_equal(uebpf_map_lookup_batch(m, NULL, &out, bk, bv,
							&count, NULL),
				 -524);
	}
	put_and_check_uncharged(rt, m);
}

/* ---- randomised: against a brute-force reference ------------------------ */

struct ref {
	uint32_t plen;
	uint32_t addr; /* host order, masked */
	uint64_t val;
	bool live;
};

static uint32_t mask_of(uint32_t plen)
{
	return plen ? ~0u << (32 - plen) : 0;
}

/* Post-order as a plain ordering: compare bit strings, the end of the
 * shorter string sorting after both 0 and 1 (a covering prefix comes
 * after everything it covers). */
static int postorder_cmp(const void *pa, const void *pb)
{
	const struct ref *a = pa, *b = pb;
	uint32_t i, n = a->plen < b->plen ? a->plen : b->plen;
	int ba, bb;

	for (i = 0; i < n; i++) {
		ba = a->addr >> (31 - i) & 1;
		bb = b->addr >> (31 - i) & 1;
		if (ba != bb)
			return ba - bb;
	}
	return (int)b->plen - (int)a->plen;
}

static struct key4 ref_key(const struct ref *r)
{
	struct key4 k = {.prefixlen = r->plen};
	uint32_t be = htonl(r->addr);

	memcpy(k.data, &be, 4);
	return k;
}

static void check_against_ref(struct uebpf_map *m, struct ref *refs, int nr,
			      unsigned int *seed)
{
	static struct ref live[512];
	static struct key4 got[512];
	int i, j, n = 0, best;
	struct key4 k;
	uint32_t addr, be;
	uint64_t v;
	int err;

	for (i = 0; i < nr; i++)
		if (refs[i].live)
			live[n++] = refs[i];
	qsort(live, n, sizeof(live[0]), postorder_cmp);
	assert_int_equal(walk4(m, got, 512), n);
	for (i = 0; i < n; i++) {
		k = ref_key(&live[i]);
		assert_int_equal(got[i].prefixlen, k.prefixlen);
		assert_memory_equal(got[i].data, k.data, 4);
	}
	for (j = 0; j < 2000; j++) {
		addr = (uint32_t)rand_r(seed) << 1 ^ (uint32_t)rand_r(seed);
		if (j % 2 && nr) /* near a stored prefix, often */
			addr = refs[rand_r(seed) % nr].addr ^
			       ((uint32_t)rand_r(seed) & 0xff);
		best = -1;
		for (i = 0; i < nr; i++)
			if (refs[i].live &&
			    ((addr ^ refs[i].addr) & mask_of(refs[i].plen)) ==
				    0 &&
			    (best < 0 || refs[i].plen > refs[best].plen))
				best = i;
		be = htonl(addr);
		k.prefixlen = 32;
		memcpy(k.data, &be, 4);
		err = uebpf_map_lookup_elem(m, &k, &v);
		if (best < 0) {
			assert_int_equal(err, -ENOENT);
		} else {
			assert_int_equal(err, 0);
			assert_int_equal(v, refs[best].val);
		}
	}
}

static void test_random_against_reference(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(2, 0);
	struct uebpf_map *m = new_trie(rt, 8, 8, 512);
	static struct ref refs[400];
	unsigned int seed = 12345;
	int i, j, nr = 0, round;
	struct key4 k;
	uint64_t v;

	(void)state;
	for (round = 0; round < 4; round++) {
		/* Add: lengths of 0..32 in a few /8s, so they nest. */
		while (nr < 100 * (round + 1)) {
			struct ref r;

			r.plen = rand_r(&seed) % 33;
			r.addr = ((uint32_t)(rand_r(&seed) % 4 + 10) << 24 |
				  (uint32_t)rand_r(&seed)) &
				 mask_of(r.plen);
			r.val = (uint64_t)rand_r(&seed) << 20 | (uint64_t)nr;
			r.live = true;
			for (j = 0; j < nr; j++)
				if (refs[j].plen == r.plen &&
				    refs[j].addr == r.addr)
					break;
			k = ref_key(&r);
			if (j < nr) { /* a replace */
				refs[j].val = r.val;
				refs[j].live = true;
				v = r.val;
				assert_int_equal(uebpf_map_update_elem(
							 m, &k, &v, BPF_ANY),
						 0);
				continue;
			}
			v = r.val;
			assert_int_equal(
				uebpf_map_update_elem(m, &k, &v, BPF_NOEXIST),
				0);
			refs[nr++] = r;
		}
		check_against_ref(m, refs, nr, &seed);
		/* Delete about a third. */
		for (i = 0; i < nr; i++) {
			if (rand_r(&seed) % 3)
				continue;
			k = ref_key(&refs[i]);
			assert_int_equal(uebpf_map_delete_elem(m, &k),
					 refs[i].live ? 0 : -ENOENT);
			refs[i].live = false;
		}
		check_against_ref(m, refs, nr, &seed);
	}
	put_and_check_uncharged(rt, m);
}

/* ---- program side: value pointers ------------------------------------------
 */

static void test_value_pointer_outlives_delete(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(2, 0);
	struct uebpf_map *m = new_trie(rt, 8, 64, 16);
	struct key4 k = k4("10.0.0.0", 8);
	struct uebpf_epoch_rec *rec;
	uint8_t val[64], *p, *q;

	(void)state;
	memset(val, 0xab, sizeof(val));
	assert_int_equal(uebpf_map_update_elem(m, &k, val, BPF_ANY), 0);
	rec = uebpf_epoch_enter(&rt->epoch);
	p = m->ops->lookup(m, &k);
	assert_non_null(p);
	assert_true(((uintptr_t)p & 7) == 0); /* values are 8-byte aligned */
	/* Writes in place are what the next lookup sees. */
	p[0] = 0x11;
	q = m->ops->lookup(m, &k);
	assert_ptr_equal(p, q);
	/* A replace publishes a new value; the old one stays readable. */
	memset(val, 0xcd, sizeof(val));
	assert_int_equal(uebpf_map_update_elem(m, &k, val, BPF_ANY), 0);
	q = m->ops->lookup(m, &k);
	assert_ptr_not_equal(p, q);
	assert_int_equal(q[5], 0xcd);
	assert_int_equal(p[0], 0x11);
	assert_int_equal(p[63], 0xab);
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	assert_null(m->ops->lookup(m, &k));
	/* Reclaim cannot free what this section may hold. */
	uebpf_epoch_reclaim(&rt->epoch);
	assert_int_equal(p[63], 0xab);
	assert_int_equal(q[63], 0xcd);
	uebpf_epoch_exit(rec);
	put_and_check_uncharged(rt, m);
}

/* ---- memory accounting ------------------------------------------------------
 */

static void test_mem_limit(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(2, 4096);
	struct uebpf_map *m = new_trie(rt, 8, 256, 1000);
	struct key4 k;
	uint8_t val[256] = {0};
	uint32_t i;
	int err = 0, n;

	(void)state;
	for (i = 0; i < 1000 && !err; i++) {
		k.prefixlen = 32;
		memcpy(k.data, &i, 4);
		err = uebpf_map_update_elem(m, &k, val, BPF_ANY);
	}
	assert_int_equal(err, -ENOMEM);
	n = (int)i - 1;
	assert_true(n > 5 && n < 16);
	assert_true(atomic_load(&rt->mem_used) <= 4096);
	/* Deletes give the bytes back. */
	i = 0;
	memcpy(k.data, &i, 4);
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	i = 1;
	memcpy(k.data, &i, 4);
	assert_int_equal(uebpf_map_delete_elem(m, &k), 0);
	i = 5000;
	memcpy(k.data, &i, 4);
	assert_int_equal(uebpf_map_update_elem(m, &k, val, BPF_ANY), 0);
	put_and_check_uncharged(rt, m);
}

/* ---- concurrency
 * --------------------------------------------------------------- */

/* Values name their prefix, so a reader can check that what it got
 * covers the address it asked for. */
struct sval {
	uint32_t plen;
	uint32_t addr; /* host order */
	uint64_t check;
};

struct stress {
	struct uebpf_map *m;
	atomic_bool stop;
	atomic_long lookups, hits, walks, writes;
	atomic_int bad;
};

static struct key4 skey(uint32_t addr, uint32_t plen)
{
	struct key4 k = {.prefixlen = plen};
	uint32_t be = htonl(addr & mask_of(plen));

	memcpy(k.data, &be, 4);
	return k;
}

static void *stress_reader(void *arg)
{
	struct stress *s = arg;
	struct uebpf_map *m = s->m;
	unsigned int seed = (unsigned int)(uintptr_t)&seed;
	struct uebpf_epoch_rec *rec;
	struct sval *v;
	struct key4 k;
	uint32_t addr;
	long n = 0, hits = 0;
	int i;

	while (!atomic_load(&s->stop)) {
		rec = uebpf_epoch_enter(&m->rt->epoch);
		for (i = 0; i < 64; i++) {
			addr = 0x0a000000 | ((uint32_t)rand_r(&seed) & 0xffff);
			k = skey(addr, 32);
			v = m->ops->lookup(m, &k);
			n++;
			if (!v)
				continue;
			hits++;
			if (v->check != ((uint64_t)v->plen << 32 | v->addr) ||
			    ((addr ^ v->addr) & mask_of(v->plen)))
				atomic_fetch_add(&s->bad, 1);
		}
		uebpf_epoch_exit(rec);
	}
	atomic_fetch_add(&s->lookups, n);
	atomic_fetch_add(&s->hits, hits);
	return NULL;
}

static void *stress_writer(void *arg)
{
	struct stress *s = arg;
	unsigned int seed = 99;
	struct sval v;
	struct key4 k;
	long n = 0;
	int err;

	while (!atomic_load(&s->stop)) {
		v.plen = 8 + rand_r(&seed) % 25;
		v.addr = (0x0a000000 | ((uint32_t)rand_r(&seed) & 0xffff)) &
			 mask_of(v.plen);
		v.check = (uint64_t)v.plen << 32 | v.addr;
		k = skey(v.addr, v.plen);
		if (rand_r(&seed) % 2) {
			err = uebpf_map_update_elem(s->m, &k, &v, BPF_ANY);
			if (err && err != -ENOSPC)
				atomic_fetch_add(&s->bad, 1);
		} else {
			err = uebpf_map_delete_elem(s->m, &k);
			if (err && err != -ENOENT)
				atomic_fetch_add(&s->bad, 1);
		}
		n++;
	}
	atomic_fetch_add(&s->writes, n);
	return NULL;
}

static void *stress_iterator(void *arg)
{
	struct stress *s = arg;
	struct key4 cur, next;
	long walks = 0;
	int err, steps;

	while (!atomic_load(&s->stop)) {
		err = uebpf_map_get_next_key(s->m, NULL, &next);
		/* A walk may restart when its key is deleted; bound it. */
		for (steps = 0; !err && steps < 4 * 600; steps++) {
			if (next.prefixlen < 8 || next.prefixlen > 32 ||
			    next.data[0] != 10)
				atomic_fetch_add(&s->bad, 1);
			cur = next;
			err = uebpf_map_get_next_key(s->m, &cur, &next);
		}
		if (err && err != -ENOENT)
			atomic_fetch_add(&s->bad, 1);
		walks++;
	}
	atomic_fetch_add(&s->walks, walks);
	return NULL;
}

static void test_stress(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(2, 0);
	struct stress s = {.m = new_trie(rt, 8, sizeof(struct sval), 600)};
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 700 * 1000 * 1000};
	pthread_t th[4];
	int i;

	(void)state;
	atomic_init(&s.stop, false);
	pthread_create(&th[0], NULL, stress_reader, &s);
	pthread_create(&th[1], NULL, stress_reader, &s);
	pthread_create(&th[2], NULL, stress_writer, &s);
	pthread_create(&th[3], NULL, stress_iterator, &s);
	nanosleep(&ts, NULL);
	atomic_store(&s.stop, true);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	print_message("lookups %ld (hits %ld), writes %ld, walks %ld\n",
		      atomic_load(&s.lookups), atomic_load(&s.hits),
		      atomic_load(&s.writes), atomic_load(&s.walks));
	assert_int_equal(atomic_load(&s.bad), 0);
	assert_true(atomic_load(&s.lookups) > 1000);
	assert_true(atomic_load(&s.hits) > 0);
	assert_true(atomic_load(&s.writes) > 1000);
	assert_true(atomic_load(&s.walks) > 0);
	put_and_check_uncharged(rt, s.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_checks),
		cmocka_unit_test(test_ipv4_longest_match),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_key_size_bounds),
		cmocka_unit_test(test_update_flags),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_get_next_key_order),
		cmocka_unit_test(test_random_against_reference),
		cmocka_unit_test(test_value_pointer_outlives_delete),
		cmocka_unit_test(test_mem_limit),
		cmocka_unit_test(test_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
