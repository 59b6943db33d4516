/* SPDX-License-Identifier: MIT */
/*
 * BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK: creation checks, FIFO and
 * LIFO order through the host calls (update pushes, lookup peeks,
 * lookup_and_delete pops) and the program-side ops, BPF_EXIST making room
 * by dropping the oldest, full and empty, the element calls the kernel
 * refuses, wrap-around, memory accounting, and producers + consumers on
 * several threads.
 */
#include <pthread.h>
#include <sched.h>

#include "map_test.h"

#define ENOTSUPP 524

static struct uebpf_map *new_qs(struct uebpf_runtime *rt,
				enum bpf_map_type type, uint32_t value_size,
				uint32_t max_entries)
{
	struct uebpf_map *m;

	m = uebpf_map_create(rt, type, "qs", 0, value_size, max_entries, NULL);
	assert_non_null(m);
	return m;
}

static void test_create_checks(void **state)
{
	static const enum bpf_map_type types[] = {BPF_MAP_TYPE_QUEUE,
						  BPF_MAP_TYPE_STACK};
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		enum bpf_map_type t = types[i];

		assert_int_equal(create_err(t, 0, 4, 8, 0, 0), 0);
		assert_int_equal(create_err(t, 4, 4, 8, 0, 0), -EINVAL);
		assert_int_equal(create_err(t, 1, 4, 8, 0, 0), -EINVAL);
		assert_int_equal(create_err(t, 0, 0, 8, 0, 0), -EINVAL);
		assert_int_equal(create_err(t, 0, 4, 0, 0, 0), -EINVAL);
		assert_int_equal(create_err(t, 0, 4 << 20, 1, 0, 0), 0);
		assert_int_equal(create_err(t, 0, (4 << 20) + 1, 1, 0, 0),
				 -E2BIG);
		assert_int_equal(create_err(t, 0, UINT32_MAX, 1, 0, 0), -E2BIG);
		/* Storage is reserved, touched as values are pushed. */
		assert_int_equal(create_err(t, 0, 64, 1 << 24, 0, 0), 0);
		assert_int_equal(create_err(t, 0, 4, UINT32_MAX, 0, 0),
				 -ENOMEM);
		assert_int_equal(create_err(t, 0, 4, 8, BPF_F_NO_PREALLOC, 0),
				 -EINVAL);
		assert_int_equal(create_err(t, 0, 4, 8, BPF_F_MMAPABLE, 0),
				 -EINVAL);
		assert_int_equal(create_err(t, 0, 4, 8, BPF_F_ZERO_SEED, 0),
				 -EINVAL);
		assert_int_equal(create_err(t, 0, 4, 8, BPF_F_NO_COMMON_LRU, 0),
				 -EINVAL);
		assert_int_equal(create_err(t, 0, 4, 8, BPF_F_RDONLY_PROG, 0),
				 0);
		assert_int_equal(create_err(t, 0, 4, 8, BPF_F_WRONLY_PROG, 0),
				 0);
		assert_int_equal(create_err(t, 0, 4, 8, BPF_F_RDONLY, 0), 0);
		assert_int_equal(create_err(t, 0, 4, 8, BPF_F_WRONLY, 0), 0);
		assert_int_equal(create_err(t, 0, 4, 8, BPF_F_NUMA_NODE, 0), 0);
		/* (max_entries + 1) * value_size is charged. */
		assert_int_equal(create_err(t, 0, 100, 40, 0, 4100), 0);
		assert_int_equal(create_err(t, 0, 100, 41, 0, 4100), -ENOMEM);
	}
}

static void test_queue_fifo(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(2, 0);
	struct uebpf_map *m = new_qs(rt, BPF_MAP_TYPE_QUEUE, 8, 4);
	uint64_t v;
	int i;

	(void)state;
	v = 99;
	assert_int_equal(uebpf_map_lookup_elem(m, NULL, &v), -ENOENT);
	assert_int_equal(uebpf_map_lookup_and_delete_elem(m, NULL, &v),
			 -ENOENT);
	for (i = 1; i <= 4; i++) {
		v = i;
		assert_int_equal(uebpf_map_update_elem(m, NULL, &v, BPF_ANY),
				 0);
		assert_int_equal(uebpf_map_lookup_elem(m, NULL, &v), 0);
		assert_int_equal(v, 1); /* peek: the oldest */
	}
	v = 5;
	assert_int_equal(uebpf_map_update_elem(m, NULL, &v, BPF_ANY), -E2BIG);
	for (i = 1; i <= 4; i++) {
		assert_int_equal(uebpf_map_lookup_and_delete_elem(m, NULL, &v),
				 0);
		assert_int_equal(v, i);
	}
	assert_int_equal(uebpf_map_lookup_and_delete_elem(m, NULL, &v),
			 -ENOENT);
	put_and_check_uncharged(rt, m);
}

static void test_stack_lifo(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(2, 0);
	struct uebpf_map *m = new_qs(rt, BPF_MAP_TYPE_STACK, 8, 4);
	uint64_t v;
	int i;

	(void)state;
	assert_int_equal(uebpf_map_lookup_elem(m, NULL, &v), -ENOENT);
	for (i = 1; i <= 4; i++) {
		v = i;
		assert_int_equal(uebpf_map_update_elem(m, NULL, &v, BPF_ANY),
				 0);
		assert_int_equal(uebpf_map_lookup_elem(m, NULL, &v), 0);
		assert_int_equal(v, i); /* peek: the newest */
	}
	v = 5;
	assert_int_equal(uebpf_map_update_elem(m, NULL, &v, BPF_ANY), -E2BIG);
	for (i = 4; i >= 1; i--) {
		assert_int_equal(uebpf_map_lookup_and_delete_elem(m, NULL, &v),
				 0);
		assert_int_equal(v, i);
	}
	assert_int_equal(uebpf_map_lookup_and_delete_elem(m, NULL, &v),
			 -ENOENT);
	/* Interleaved. */
	for (i = 0; i < 10; i++) {
		v = 100 + i;
		assert_int_equal(uebpf_map_update_elem(m, NULL, &v, BPF_ANY),
				 0);
		v = 200 + i;
		assert_int_equal(uebpf_map_update_elem(m, NULL, &v, BPF_ANY),
				 0);
		assert_int_equal(uebpf_map_lookup_and_delete_elem(m, NULL, &v),
				 0);
		assert_int_equal(v, 200 + i);
		assert_int_equal(uebpf_map_lookup_and_delete_elem(m, NULL, &v),
				 0);
		assert_int_equal(v, 100 + i);
	}
	put_and_check_uncharged(rt, m);
}

/* BPF_EXIST on a full map drops the oldest value: for a queue that is
 * the next to pop, for a stack the bottom one. */
static void test_exist_overwrites_oldest(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(2, 0);
	struct uebpf_map *q = new_qs(rt, BPF_MAP_TYPE_QUEUE, 4, 3);
	struct uebpf_map *s = new_qs(rt, BPF_MAP_TYPE_STACK, 4, 3);
	uint32_t v;
	int i;

	(void)state;
	for (i = 1; i <= 3; i++) {
		v = i;
		assert_int_equal(uebpf_map_update_elem(q, NULL, &v, BPF_EXIST),
				 0); /* not full: a plain push */
		assert_int_equal(uebpf_map_update_elem(s, NULL, &v, BPF_EXIST),
				 0);
	}
	for (i = 4; i <= 5; i++) {
		v = i;
		assert_int_equal(uebpf_map_update_elem(q, NULL, &v, BPF_ANY),
				 -E2BIG);
		assert_int_equal(uebpf_map_update_elem(q, NULL, &v, BPF_EXIST),
				 0);
		assert_int_equal(uebpf_map_update_elem(s, NULL, &v, BPF_EXIST),
				 0);
	}
	/* queue: 3 4 5 */
	for (i = 3; i <= 5; i++) {
		assert_int_equal(uebpf_map_lookup_and_delete_elem(q, NULL, &v),
				 0);
		assert_int_equal(v, i);
	}
	/* stack: 5 4 3 (1 and 2 were dropped from the bottom) */
	for (i = 5; i >= 3; i--) {
		assert_int_equal(uebpf_map_lookup_and_delete_elem(s, NULL, &v),
				 0);
		assert_int_equal(v, i);
	}
	assert_int_equal(uebpf_map_lookup_and_delete_elem(q, NULL, &v),
			 -ENOENT);
	assert_int_equal(uebpf_map_lookup_and_delete_elem(s, NULL, &v),
			 -ENOENT);
	uebpf_map_put(q);
	put_and_check_uncharged(rt, s);
}

static void test_flags_and_element_calls(void **state)
{
	static const enum bpf_map_type types[] = {BPF_MAP_TYPE_QUEUE,
						  BPF_MAP_TYPE_STACK};
	struct uebpf_runtime *rt = rt_new_quiet(2, 0);
	uint32_t v = 1, key = 0, next;
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct uebpf_map *m = new_qs(rt, types[i], 4, 2);
		uint32_t count = 1;
		uint32_t keys[2], vals[2];

		assert_int_equal(
			uebpf_map_update_elem(m, NULL, &v, BPF_NOEXIST),
			-EINVAL);
		assert_int_equal(uebpf_map_update_elem(m, NULL, &v,
						       BPF_NOEXIST | BPF_EXIST),
				 -EINVAL);
		assert_int_equal(uebpf_map_update_elem(m, NULL, &v, BPF_F_LOCK),
				 -EINVAL);
		assert_int_equal(uebpf_map_update_elem(m, NULL, &v, 1ull << 40),
				 -EINVAL);
		assert_int_equal(uebpf_map_lookup_elem(m, NULL, &v), -ENOENT);
		assert_int_equal(uebpf_map_lookup_elem_flags(m, NULL, &v, 8),
				 -EINVAL);
		assert_int_equal(uebpf_map_update_elem(m, NULL, NULL, 0),
				 -EINVAL);
		v = 1;
		assert_int_equal(uebpf_map_update_elem(m, NULL, &v, BPF_ANY),
				 0);
		/* No keys: delete and get_next_key fail as the kernel's. */
		assert_int_equal(uebpf_map_delete_elem(m, NULL), -EINVAL);
		assert_int_equal(uebpf_map_delete_elem(m, &key), -EINVAL);
		assert_int_equal(uebpf_map_get_next_key(m, NULL, &next),
				 -EINVAL);
		assert_int_equal(uebpf_map_get_next_key(m, &key, &next),
				 -EINVAL);
		assert_int_equal(uebpf_map_lookup_batch(m, NULL, &next, keys,
							vals, &count, NULL),
				 -ENOTSUPP);
		/* The value is still there. */
		assert_int_equal(uebpf_map_lookup_and_delete_elem(m, &key, &v),
				 0);
		assert_int_equal(v, 1);
		/* Frozen or read-only: no pushes or pops from the host. */
		assert_int_equal(uebpf_map_update_elem(m, NULL, &v, BPF_ANY),
				 0);
		assert_int_equal(uebpf_map_freeze(m), 0);
		assert_int_equal(uebpf_map_update_elem(m, NULL, &v, BPF_ANY),
				 -EPERM);
		assert_int_equal(uebpf_map_lookup_and_delete_elem(m, NULL, &v),
				 -EPERM);
		assert_int_equal(uebpf_map_lookup_elem(m, NULL, &v), 0);
		uebpf_map_put(m);
	}
	uebpf_epoch_synchronize(&rt->epoch);
	assert_int_equal(atomic_load(&rt->mem_used), 0);
	uebpf_runtime_free(rt);
}

/* The ops helpers call: push with raw flags, pop and peek into the
 * program's buffer, which is zeroed when there is nothing. */
static void test_program_side(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(2, 0);
	struct uebpf_map *q = new_qs(rt, BPF_MAP_TYPE_QUEUE, 12, 2);
	struct uebpf_map *s = new_qs(rt, BPF_MAP_TYPE_STACK, 12, 2);
	struct uebpf_epoch_rec *rec;
	uint8_t a[12], b[12], out[12];

	(void)state;
	memset(a, 0xaa, sizeof(a));
	memset(b, 0xbb, sizeof(b));
	rec = uebpf_epoch_enter(&rt->epoch);
	memset(out, 0x77, sizeof(out));
	assert_int_equal(q->ops->pop(q, out), -ENOENT);
	assert_true(out[0] == 0 && out[11] == 0);
	memset(out, 0x77, sizeof(out));
	assert_int_equal(s->ops->peek(s, out), -ENOENT);
	assert_true(out[0] == 0 && out[11] == 0);

	assert_int_equal(q->ops->push(q, a, 0), 0);
	assert_int_equal(q->ops->push(q, b, 0), 0);
	assert_int_equal(q->ops->push(q, b, 0), -E2BIG);
	assert_int_equal(q->ops->push(q, b, BPF_NOEXIST), -EINVAL);
	assert_int_equal(q->ops->push(q, b, BPF_F_LOCK), -EINVAL);
	assert_int_equal(q->ops->peek(q, out), 0);
	assert_memory_equal(out, a, 12);
	assert_int_equal(q->ops->pop(q, out), 0);
	assert_memory_equal(out, a, 12);
	assert_int_equal(q->ops->pop(q, out), 0);
	assert_memory_equal(out, b, 12);

	assert_int_equal(s->ops->push(s, a, BPF_ANY), 0);
	assert_int_equal(s->ops->push(s, b, BPF_ANY), 0);
	assert_int_equal(s->ops->peek(s, out), 0);
	assert_memory_equal(out, b, 12);
	assert_int_equal(s->ops->pop(s, out), 0);
	assert_memory_equal(out, b, 12);

	/* Element ops answer as the kernel's. */
	assert_null(q->ops->lookup(q, NULL));
	assert_int_equal(q->ops->update(q, NULL, a, 0), -EINVAL);
	assert_int_equal(s->ops->delete (s, NULL), -EINVAL);
	uebpf_epoch_exit(rec);
	uebpf_map_put(q);
	put_and_check_uncharged(rt, s);
}

/* Many laps around a small ring. */
static void test_wrap_around(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(2, 0);
	struct uebpf_map *q = new_qs(rt, BPF_MAP_TYPE_QUEUE, 4, 5);
	struct uebpf_map *s = new_qs(rt, BPF_MAP_TYPE_STACK, 4, 5);
	uint32_t v, next_in = 0, next_out = 0, depth = 0, i, n;
	uint32_t shadow[5];

	(void)state;
	for (i = 0; i < 1000; i++) {
		/* queue: push 0..3, pop 0..3, by a fixed pattern */
		for (n = i % 4; n > 0 && depth < 5; n--, depth++) {
			v = next_in++;
			assert_int_equal(uebpf_map_update_elem(q, NULL, &v, 0),
					 0);
		}
		for (n = (i * 7) % 4; n > 0 && depth > 0; n--, depth--) {
			assert_int_equal(
				uebpf_map_lookup_and_delete_elem(q, NULL, &v),
				0);
			assert_int_equal(v, next_out++);
		}
	}
	assert_true(next_out > 1000);

	/* stack against an array model */
	depth = 0;
	for (i = 0; i < 1000; i++) {
		if ((i * 13) % 3 && depth < 5) {
			v = i;
			assert_int_equal(uebpf_map_update_elem(s, NULL, &v, 0),
					 0);
			shadow[depth++] = i;
		} else if (depth) {
			assert_int_equal(
				uebpf_map_lookup_and_delete_elem(s, NULL, &v),
				0);
			assert_int_equal(v, shadow[--depth]);
		} else {
			assert_int_equal(
				uebpf_map_lookup_and_delete_elem(s, NULL, &v),
				-ENOENT);
		}
	}
	uebpf_map_put(q);
	put_and_check_uncharged(rt, s);
}

/* ---- threads ----------------------------------------------------------------
 */

#define PRODUCERS    2
#define PER_PRODUCER 50000

struct qstress {
	struct uebpf_map *m;
	atomic_int producers_done;
	atomic_long popped;
	atomic_int bad;
	atomic_uint id;
};

struct item {
	uint32_t producer;
	uint32_t seq;
};

static void *producer(void *arg)
{
	struct qstress *s = arg;
	struct uebpf_epoch_rec *rec;
	struct item it = {.producer = atomic_fetch_add(&s->id, 1)};
	long err;

	rec = uebpf_epoch_enter(&s->m->rt->epoch);
	while (it.seq < PER_PRODUCER) {
		err = s->m->ops->push(s->m, &it, BPF_ANY);
		if (!err)
			it.seq++;
		else if (err == -E2BIG)
			sched_yield(); /* full: let a consumer run */
		else
			atomic_fetch_add(&s->bad, 1);
	}
	uebpf_epoch_exit(rec);
	atomic_fetch_add(&s->producers_done, 1);
	return NULL;
}

/* Each consumer sees each producer's values in push order (FIFO). */
static void *consumer(void *arg)
{
	struct qstress *s = arg;
	int64_t last[PRODUCERS] = {-1, -1};
	struct item it;
	long n = 0;
	int err;

	for (;;) {
		err = uebpf_map_lookup_and_delete_elem(s->m, NULL, &it);
		if (err == -ENOENT) {
			if (atomic_load(&s->producers_done) == PRODUCERS &&
			    uebpf_map_lookup_and_delete_elem(s->m, NULL, &it) ==
				    -ENOENT)
				break;
			sched_yield();
			continue;
		}
		if (err || it.producer >= PRODUCERS ||
		    (int64_t)it.seq <= last[it.producer]) {
			atomic_fetch_add(&s->bad, 1);
			continue;
		}
		last[it.producer] = it.seq;
		n++;
	}
	atomic_fetch_add(&s->popped, n);
	return NULL;
}

static void test_threads(void **state)
{
	struct uebpf_runtime *rt = rt_new_quiet(2, 0);
	struct qstress s = {
		.m = new_qs(rt, BPF_MAP_TYPE_QUEUE, sizeof(struct item), 64)};
	pthread_t th[4];
	int i;

	(void)state;
	for (i = 0; i < PRODUCERS; i++)
		pthread_create(&th[i], NULL, producer, &s);
	pthread_create(&th[2], NULL, consumer, &s);
	pthread_create(&th[3], NULL, consumer, &s);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(atomic_load(&s.bad), 0);
	assert_int_equal(atomic_load(&s.popped), PRODUCERS * PER_PRODUCER);
	put_and_check_uncharged(rt, s.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_checks),
		cmocka_unit_test(test_queue_fifo),
		cmocka_unit_test(test_stack_lifo),
		cmocka_unit_test(test_exist_overwrites_oldest),
		cmocka_unit_test(test_flags_and_element_calls),
		cmocka_unit_test(test_program_side),
		cmocka_unit_test(test_wrap_around),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
