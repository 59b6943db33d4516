/* SPDX-License-Identifier: MIT */
/*
 * BPF_MAP_TYPE_RINGBUF: the kernel's multi-producer, single-consumer ring.
 *
 * Layout, as the kernel's: a page of positions, then the data pages mapped
 * twice in a row, so a record that wraps past the end is still contiguous:
 *
 *   | meta page | data 0 .. size-1 | the same data again |
 *
 * Positions only grow; a record lives at pos & mask.  Each record is an
 * 8-byte header { u32 len, u32 pg_off } and its sample, rounded up to 8
 * bytes.  len carries BPF_RINGBUF_BUSY_BIT from reserve until submit or
 * discard (which adds BPF_RINGBUF_DISCARD_BIT); pg_off is the header's
 * page offset from the meta page.  Producers reserve under a lock, then
 * write and commit without it; the consumer reads records in order and
 * stops at the first busy one.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ringbuf.h"

#define RB_PAGE	      4096u
#define RB_MAX_RECORD (UINT32_MAX / 4)
#define RB_HDR	      BPF_RINGBUF_HDR_SZ
#define RB_LEN_FLAGS  (BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)

struct rb_meta {
	_Alignas(64) _Atomic uint64_t consumer_pos;
	_Alignas(64) _Atomic uint64_t producer_pos;
};

struct ringbuf {
	struct uebpf_map map;
	uint8_t *area; /* meta page + 2 x data */
	struct rb_meta *meta;
	uint8_t *data;
	uint64_t mask;
	pthread_mutex_t lock; /* producers' reserve */
	atomic_bool consuming;
};

static inline struct ringbuf *to_rb(struct uebpf_map *map)
{
	return (struct ringbuf *)map;
}

static inline uint64_t area_size(uint64_t data_sz)
{
	return RB_PAGE + 2 * data_sz;
}

/* What the ring costs: the data is mapped twice but stored once. */
static inline uint64_t charge_size(uint64_t data_sz)
{
	return RB_PAGE + data_sz;
}

static inline uint32_t rec_len(uint32_t len)
{
	return round_up8((len & ~RB_LEN_FLAGS) + RB_HDR);
}

static void *rb_reserve(struct ringbuf *rb, uint64_t size)
{
	uint64_t cons, prod;
	uint32_t len, *hdr;

	if (size > RB_MAX_RECORD)
		return NULL;
	len = round_up8(size + RB_HDR);
	if (len > rb->mask + 1)
		return NULL;
	cons = atomic_load_explicit(&rb->meta->consumer_pos,
				    memory_order_acquire);
	pthread_mutex_lock(&rb->lock);
	prod = atomic_load_explicit(&rb->meta->producer_pos,
				    memory_order_relaxed);
	/* Never more than size - 1 bytes ahead of the consumer. */
	if (prod + len - cons > rb->mask) {
		pthread_mutex_unlock(&rb->lock);
		return NULL;
	}
	hdr = (uint32_t *)(rb->data + (prod & rb->mask));
	__atomic_store_n(&hdr[0], (uint32_t)size | BPF_RINGBUF_BUSY_BIT,
			 __ATOMIC_RELAXED);
	hdr[1] = (uint32_t)(((uint8_t *)hdr - rb->area) / RB_PAGE);
	/* The busy header is visible before the position that covers it. */
	atomic_store_explicit(&rb->meta->producer_pos, prod + len,
			      memory_order_release);
	pthread_mutex_unlock(&rb->lock);
	return hdr + 2;
}

static void rb_commit(void *sample, bool discard)
{
	uint32_t *hdr = (uint32_t *)((uint8_t *)sample - RB_HDR);
	uint32_t len = __atomic_load_n(hdr, __ATOMIC_RELAXED);

	len &= ~BPF_RINGBUF_BUSY_BIT;
	if (discard)
		len |= BPF_RINGBUF_DISCARD_BIT;
	/* Release: the sample's bytes are visible before its length. */
	__atomic_exchange_n(hdr, len, __ATOMIC_ACQ_REL);
}

void *uebpf_ringbuf_reserve(struct uebpf_map *map, uint64_t size,
			    uint64_t flags)
{
	if (flags)
		return NULL;
	return rb_reserve(to_rb(map), size);
}

/* The wakeup flags choose whether to wake a sleeping consumer; a host
 * consumer polls, so there is nobody to wake. */
void uebpf_ringbuf_submit(void *sample, uint64_t flags)
{
	(void)flags;
	rb_commit(sample, false);
}

void uebpf_ringbuf_discard(void *sample, uint64_t flags)
{
	(void)flags;
	rb_commit(sample, true);
}

long uebpf_ringbuf_output(struct uebpf_map *map, const void *data,
			  uint64_t size, uint64_t flags)
{
	void *rec;

	if (flags & ~(uint64_t)(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP))
		return -EINVAL;
	rec = rb_reserve(to_rb(map), size);
	if (!rec)
		return -EAGAIN;
	memcpy(rec, data, size);
	rb_commit(rec, false);
	return 0;
}

uint64_t uebpf_ringbuf_query(struct uebpf_map *map, uint64_t flags)
{
	struct ringbuf *rb = to_rb(map);
	uint64_t cons, prod;

	switch (flags) {
	case BPF_RB_AVAIL_DATA:
		cons = atomic_load_explicit(&rb->meta->consumer_pos,
					    memory_order_acquire);
		prod = atomic_load_explicit(&rb->meta->producer_pos,
					    memory_order_acquire);
		return prod - cons;
	case BPF_RB_RING_SIZE: return rb->mask + 1;
	case BPF_RB_CONS_POS:
		return atomic_load_explicit(&rb->meta->consumer_pos,
					    memory_order_acquire);
	case BPF_RB_PROD_POS:
		return atomic_load_explicit(&rb->meta->producer_pos,
					    memory_order_acquire);
	default: return 0;
	}
}

bool uebpf_ringbuf_is_reserved(struct uebpf_map *map, const void *sample)
{
	struct ringbuf *rb = to_rb(map);
	uintptr_t data = (uintptr_t)rb->data, hdr = (uintptr_t)sample - RB_HDR;
	const uint32_t *h;

	/* Headers start 8-aligned in the first mapping of the data. */
	if ((uintptr_t)sample < RB_HDR || hdr < data ||
	    hdr - data > rb->mask || (hdr - data) % 8)
		return false;
	h = (const uint32_t *)hdr;
	return (__atomic_load_n(&h[0], __ATOMIC_ACQUIRE) &
		BPF_RINGBUF_BUSY_BIT) &&
	       h[1] == (uint32_t)((hdr - (uintptr_t)rb->area) / RB_PAGE);
}

/*
 * As libbpf's ring_buffer__consume(): committed records in order, the
 * discarded ones skipped, until the ring is empty or a record is still
 * busy.  The consumer position moves past each record once fn is done
 * with it.  fn returning > 0 stops after that record; < 0 stops and is
 * returned, as libbpf does.
 */
int uebpf_ringbuf_consume(struct uebpf_map *map, uebpf_ringbuf_fn fn, void *ctx)
{
	struct ringbuf *rb;
	uint64_t cons, prod;
	uint32_t len, *hdr;
	bool progress;
	int cnt = 0, ret = 0;

	if (!map || !fn || map->type != BPF_MAP_TYPE_RINGBUF)
		return -EINVAL;
	rb = to_rb(map);
	/* One consumer at a time, as the ring's design requires. */
	if (atomic_exchange(&rb->consuming, true))
		return -EBUSY;
	cons = atomic_load_explicit(&rb->meta->consumer_pos,
				    memory_order_relaxed);
	do {
		progress = false;
		prod = atomic_load_explicit(&rb->meta->producer_pos,
					    memory_order_acquire);
		while (cons < prod) {
			hdr = (uint32_t *)(rb->data + (cons & rb->mask));
			len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
			if (len & BPF_RINGBUF_BUSY_BIT)
				goto out;
			progress = true;
			cons += rec_len(len);
			if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
				ret = fn(ctx, hdr + 2, len & ~RB_LEN_FLAGS);
				cnt++;
			}
			/* Release: done reading before producers reuse it. */
			atomic_store_explicit(&rb->meta->consumer_pos, cons,
					      memory_order_release);
			if (ret || cnt == INT32_MAX)
				goto out;
		}
	} while (progress);
out:
	atomic_store(&rb->consuming, false);
	return ret < 0 ? ret : cnt;
}

/* Element calls: the kernel answers -ENOTSUPP to all of them. */
static long rb_delete(struct uebpf_map *map, const void *key)
{
	(void)map;
	(void)key;
	return -ENOTSUPP_ERRNO;
}

static int rb_get_next_key(struct uebpf_map *map, const void *key,
			   void *next_key)
{
	(void)map;
	(void)key;
	(void)next_key;
	return -ENOTSUPP_ERRNO;
}

static int rb_check(struct uebpf_map *attr)
{
	uint32_t n = attr->max_entries;

	if (attr->map_flags & ~(uint32_t)BPF_F_NUMA_NODE) {
		map_warn(attr, "map_flags 0x%x are not allowed for RINGBUF\n",
			 attr->map_flags & ~(uint32_t)BPF_F_NUMA_NODE);
		return -EINVAL;
	}
	if (attr->key_size || attr->value_size) {
		map_warn(attr, "RINGBUF needs key_size 0 and value_size 0 (got %u, %u)\n",
			 attr->key_size, attr->value_size);
		return -EINVAL;
	}
	/* Any u32 power of two fits the kernel's 64 GiB limit on data. */
	if (!n || (n & (n - 1)) || n % RB_PAGE) {
		map_warn(attr, "RINGBUF max_entries %u (bytes of data) must be a power of 2 and a multiple of %u\n",
			 n, RB_PAGE);
		return -EINVAL;
	}
	return 0;
}

static int rb_alloc(const struct uebpf_map *attr, struct uebpf_map **out)
{
	uint64_t data_sz = attr->max_entries;
	struct ringbuf *rb;
	uint8_t *area;
	int fd = -1, err;

	rb = calloc(1, sizeof(*rb));
	if (!rb)
		return -ENOMEM;
	rb->map = *attr;
	err = uebpf_map_charge(&rb->map, charge_size(data_sz));
	if (err) {
		free(rb);
		return err;
	}
	/* Reserve the whole range, then map the data file twice into it. */
	area = mmap(NULL, area_size(data_sz), PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		goto fail;
	fd = memfd_create("uebpf-ringbuf", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)data_sz) ||
	    mmap(area, RB_PAGE, PROT_READ | PROT_WRITE,
		 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1,
		 0) == MAP_FAILED ||
	    mmap(area + RB_PAGE, data_sz, PROT_READ | PROT_WRITE,
		 MAP_FIXED | MAP_SHARED, fd, 0) == MAP_FAILED ||
	    mmap(area + RB_PAGE + data_sz, data_sz, PROT_READ | PROT_WRITE,
		 MAP_FIXED | MAP_SHARED, fd, 0) == MAP_FAILED) {
		munmap(area, area_size(data_sz));
		goto fail;
	}
	close(fd);
	if (pthread_mutex_init(&rb->lock, NULL)) {
		munmap(area, area_size(data_sz));
		fd = -1;
		goto fail;
	}
	rb->area = area;
	rb->meta = (struct rb_meta *)area;
	atomic_init(&rb->meta->consumer_pos, 0);
	atomic_init(&rb->meta->producer_pos, 0);
	rb->data = area + RB_PAGE;
	rb->mask = data_sz - 1;
	atomic_init(&rb->consuming, false);
	rb->map.charged = charge_size(data_sz);
	*out = &rb->map;
	return 0;
fail:
	map_warn(attr, "cannot map a %llu-byte ring: %s\n",
		 (unsigned long long)data_sz, strerror(errno));
	if (fd >= 0)
		close(fd);
	uebpf_map_uncharge(&rb->map, charge_size(data_sz));
	free(rb);
	return -ENOMEM;
}

static void rb_free(struct uebpf_map *map)
{
	struct ringbuf *rb = to_rb(map);
	uint64_t data_sz = rb->mask + 1;

	munmap(rb->area, area_size(data_sz));
	uebpf_map_uncharge(map, charge_size(data_sz));
	pthread_mutex_destroy(&rb->lock);
	free(rb);
}

const struct uebpf_map_ops uebpf_ringbuf_ops = {
	.check = rb_check,
	.alloc = rb_alloc,
	.free = rb_free,
	/* lookup and update stay NULL: maps/map.c answers -ENOTSUPP. */
	.delete = rb_delete,
	.get_next_key = rb_get_next_key,
};
