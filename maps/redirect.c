/* SPDX-License-Identifier: MIT */
/*
 * BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_CPUMAP and BPF_MAP_TYPE_XSKMAP: arrays
 * of redirect targets.  The library owns no device, CPU queue or socket;
 * it keeps what the host stored, checked as the kernel checks it, so that
 * bpf_redirect_map() can hand the target back to the host.
 *
 * Each slot points to an immutable entry; an update publishes a new entry
 * with an atomic exchange and retires the old one through the epoch, so a
 * program holding a looked-up value keeps reading the value it found, as
 * under the kernel's RCU.  Writers (the host) serialise on a mutex.
 *
 *  DEVMAP  value 4 (ifindex) or 8 (struct bpf_devmap_val: ifindex and an
 *          XDP program id).  ifindex 0 empties the slot.  Programs see it
 *          read-only (BPF_F_RDONLY_PROG is set, as the kernel does).
 *  CPUMAP  value 4 (qsize) or 8 (struct bpf_cpumap_val).  The key is a
 *          CPU slot of the runtime; qsize 0 empties the slot.
 *  XSKMAP  value 4: an id of the host's AF_XDP socket, stored as given.
 *          As in the kernel the host cannot read it back (-EOPNOTSUPP).
 */
#include <stdlib.h>

#include "array.h"
#include "redirect.h"

/* CONFIG_NR_CPUS of the Debian kernel: CPUMAP's max_entries limit. */
#define CPUMAP_MAX_ENTRIES 8192
/* cpu_map_update_elem()'s sanity limit on a queue's size. */
#define CPUMAP_QSIZE_MAX 16384

struct redir_entry {
	uint32_t val[2]; /* ifindex/qsize/socket id, program id */
	struct uebpf_prog *prog;
};

struct uebpf_redir {
	struct uebpf_fd_array slots; /* struct redir_entry * */
	pthread_mutex_t lock;	     /* writers */
};

static const char *type_name(const struct uebpf_map *map)
{
	return uebpf_map_type_name(map->type);
}

static int redir_check(struct uebpf_map *attr, uint32_t flags_ok,
		       uint32_t value_max)
{
	uint32_t bad = attr->map_flags & ~flags_ok;

	if (attr->key_size != 4) {
		map_warn(attr, "key_size %u: %s keys are 4-byte indexes\n",
			 attr->key_size, type_name(attr));
		return -EINVAL;
	}
	if (attr->value_size != 4 && attr->value_size != value_max) {
		map_warn(attr, "value_size %u: %s values are 4%s bytes\n",
			 attr->value_size, type_name(attr),
			 value_max == 8 ? " or 8" : "");
		return -EINVAL;
	}
	if (!attr->max_entries) {
		map_warn(attr, "max_entries 0\n");
		return -EINVAL;
	}
	if (bad) {
		map_warn(attr, "map_flags 0x%x are not valid for %s\n", bad,
			 type_name(attr));
		return -EINVAL;
	}
	return 0;
}

static int devmap_check(struct uebpf_map *attr)
{
	return redir_check(attr, BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY,
			   sizeof(struct bpf_devmap_val));
}

static int xskmap_check(struct uebpf_map *attr)
{
	return redir_check(attr, BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY,
			   sizeof(uint32_t));
}

static int cpumap_check(struct uebpf_map *attr)
{
	int err = redir_check(attr, BPF_F_NUMA_NODE,
			      sizeof(struct bpf_cpumap_val));

	if (!err && attr->max_entries > CPUMAP_MAX_ENTRIES) {
		map_warn(attr, "max_entries %u: a CPUMAP has at most %d entries\n",
			 attr->max_entries, CPUMAP_MAX_ENTRIES);
		return -E2BIG;
	}
	return err;
}

static int redir_alloc(const struct uebpf_map *attr, struct uebpf_map **out)
{
	struct uebpf_redir *r;
	int err;

	err = uebpf_fd_array_alloc(attr, sizeof(*r), out);
	if (err)
		return err;
	r = (struct uebpf_redir *)*out;
	pthread_mutex_init(&r->lock, NULL);
	/* Lookups return the stored value itself; the kernel makes devmap
	 * values read-only to programs for the same reason. */
	if (attr->type == BPF_MAP_TYPE_DEVMAP)
		(*out)->map_flags |= BPF_F_RDONLY_PROG;
	return 0;
}

static void entry_free(void *p)
{
	struct redir_entry *e = p;

	uebpf_prog_put(e->prog);
	free(e);
}

static void redir_free(struct uebpf_map *map)
{
	struct uebpf_redir *r = (struct uebpf_redir *)map;

	pthread_mutex_destroy(&r->lock);
	uebpf_fd_array_free(map, entry_free);
}

/* A new entry, its program resolved and checked (DEVMAP and CPUMAP only
 * run XDP programs).  prog_err is what a bad program costs: the kernel
 * says -EINVAL for DEVMAP, and for CPUMAP reports every failure of its
 * entry allocation, this one included, as -ENOMEM. */
static int entry_new(struct uebpf_map *map, uint32_t v0, int prog_fd,
		     int prog_err, struct redir_entry **out)
{
	struct uebpf_prog *prog = NULL;
	struct redir_entry *e;
	int err;

	if (prog_fd > 0) {
		prog = uebpf_prog_get_by_id_internal(map->rt,
						     (uint32_t)prog_fd);
		if (!prog) {
			map_warn(map, "no program has id %d\n", prog_fd);
			return prog_err;
		}
		if (prog->type != BPF_PROG_TYPE_XDP) {
			map_warn(map, "program %d has type %s; %s programs are XDP programs\n",
				 prog_fd, uebpf_prog_type_name(prog->type),
				 type_name(map));
			uebpf_prog_put(prog);
			return prog_err;
		}
	}
	err = uebpf_map_charge(map, sizeof(*e));
	e = err ? NULL : malloc(sizeof(*e));
	if (!e) {
		if (!err)
			uebpf_map_uncharge(map, sizeof(*e));
		uebpf_prog_put(prog);
		return -ENOMEM;
	}
	map->charged += sizeof(*e);
	e->val[0] = v0;
	e->val[1] = prog ? prog->id : 0;
	e->prog = prog;
	*out = e;
	return 0;
}

/* Publishes e (NULL empties the slot) and retires the old entry.  Called
 * with the lock held. */
static void entry_replace(struct uebpf_map *map, uint32_t i,
			  struct redir_entry *e)
{
	struct redir_entry *old = uebpf_fd_array_xchg(map, i, e);

	if (old) {
		uebpf_map_uncharge(map, sizeof(*old));
		map->charged -= sizeof(*old);
		uebpf_epoch_retire(&map->rt->epoch, old, entry_free);
	}
}

static void *redir_lookup(struct uebpf_map *map, const void *key)
{
	struct uebpf_fd_array *a = (struct uebpf_fd_array *)map;
	struct redir_entry *e;
	uint32_t i;

	memcpy(&i, key, sizeof(i));
	if (unlikely(i >= map->max_entries))
		return NULL;
	e = atomic_load_explicit(&a->slots[i], memory_order_acquire);
	return e ? e->val : NULL;
}

/* DEVMAP and CPUMAP: empty the slot, whatever it held. */
static long redir_delete(struct uebpf_map *map, const void *key)
{
	struct uebpf_redir *r = (struct uebpf_redir *)map;
	uint32_t i;

	memcpy(&i, key, sizeof(i));
	if (i >= map->max_entries)
		return -EINVAL;
	pthread_mutex_lock(&r->lock);
	entry_replace(map, i, NULL);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static long devmap_update(struct uebpf_map *map, const void *key,
			  const void *value, uint64_t flags)
{
	struct uebpf_redir *r = (struct uebpf_redir *)map;
	struct bpf_devmap_val v = { 0 };
	struct redir_entry *e = NULL;
	uint32_t i;
	int err;

	memcpy(&i, key, sizeof(i));
	if (flags > BPF_EXIST)
		return -EINVAL;
	if (i >= map->max_entries)
		return -E2BIG;
	if (flags == BPF_NOEXIST)
		return -EEXIST; /* every slot exists, as in an array */
	memcpy(&v, value, map->value_size);
	if (!v.ifindex && v.bpf_prog.fd > 0) {
		map_warn(map, "a program (id %d) needs an ifindex\n",
			 v.bpf_prog.fd);
		return -EINVAL;
	}
	pthread_mutex_lock(&r->lock);
	err = v.ifindex ? entry_new(map, v.ifindex, v.bpf_prog.fd, -EINVAL,
				    &e) :
			  0;
	if (!err)
		entry_replace(map, i, e);
	pthread_mutex_unlock(&r->lock);
	return err;
}

static long cpumap_update(struct uebpf_map *map, const void *key,
			  const void *value, uint64_t flags)
{
	struct uebpf_redir *r = (struct uebpf_redir *)map;
	struct bpf_cpumap_val v = { 0 };
	struct redir_entry *e = NULL;
	uint32_t i;
	int err;

	memcpy(&i, key, sizeof(i));
	memcpy(&v, value, map->value_size);
	if (flags > BPF_EXIST)
		return -EINVAL;
	if (i >= map->max_entries)
		return -E2BIG;
	if (flags == BPF_NOEXIST)
		return -EEXIST;
	if (v.qsize > CPUMAP_QSIZE_MAX) {
		map_warn(map, "qsize %u is larger than %d\n", v.qsize,
			 CPUMAP_QSIZE_MAX);
		return -EOVERFLOW;
	}
	if (i >= map->rt->nr_cpus) {
		map_warn(map, "key %u: the runtime has %u CPU slots\n", i,
			 map->rt->nr_cpus);
		return -ENODEV;
	}
	pthread_mutex_lock(&r->lock);
	err = v.qsize ? entry_new(map, v.qsize, v.bpf_prog.fd, -ENOMEM, &e) :
			0;
	if (!err)
		entry_replace(map, i, e);
	pthread_mutex_unlock(&r->lock);
	return err;
}

/* The host stores a socket id; the kernel takes a socket fd, and honours
 * BPF_NOEXIST and BPF_EXIST, unlike the other array maps. */
static int xskmap_obj_update(struct uebpf_map *map, const void *key,
			     uint32_t id, uint64_t flags)
{
	struct uebpf_redir *r = (struct uebpf_redir *)map;
	struct uebpf_fd_array *a = &r->slots;
	struct redir_entry *old, *e = NULL;
	uint32_t i;
	int err = 0;

	memcpy(&i, key, sizeof(i));
	if (flags > BPF_EXIST)
		return -EINVAL;
	if (i >= map->max_entries)
		return -E2BIG;
	pthread_mutex_lock(&r->lock);
	old = atomic_load_explicit(&a->slots[i], memory_order_relaxed);
	if (old && old->val[0] == id)
		goto out; /* the same socket: nothing to do */
	if (old && flags == BPF_NOEXIST) {
		err = -EEXIST;
		goto out;
	}
	if (!old && flags == BPF_EXIST) {
		err = -ENOENT;
		goto out;
	}
	err = entry_new(map, id, 0, 0, &e);
	if (!err)
		entry_replace(map, i, e);
out:
	pthread_mutex_unlock(&r->lock);
	return err;
}

static int xskmap_obj_lookup_id(struct uebpf_map *map, const void *key,
				uint32_t *id)
{
	(void)map, (void)key, (void)id;
	return -EOPNOTSUPP; /* xsk_map_lookup_elem_sys_only() */
}

/* XSKMAP's update is the host's obj_update; programs cannot update. */
static long xskmap_update(struct uebpf_map *map, const void *key,
			  const void *value, uint64_t flags)
{
	(void)map, (void)key, (void)value, (void)flags;
	return -EOPNOTSUPP;
}

const struct uebpf_map_ops uebpf_devmap_ops = {
	.check = devmap_check,
	.alloc = redir_alloc,
	.free = redir_free,
	.lookup = redir_lookup,
	.update = devmap_update,
	.delete = redir_delete,
	.get_next_key = uebpf_array_get_next_key,
};

const struct uebpf_map_ops uebpf_cpumap_ops = {
	.check = cpumap_check,
	.alloc = redir_alloc,
	.free = redir_free,
	.lookup = redir_lookup,
	.update = cpumap_update,
	.delete = redir_delete,
	.get_next_key = uebpf_array_get_next_key,
};

const struct uebpf_map_ops uebpf_xskmap_ops = {
	.check = xskmap_check,
	.alloc = redir_alloc,
	.free = redir_free,
	.lookup = redir_lookup,
	.update = xskmap_update,
	.delete = redir_delete,
	.get_next_key = uebpf_array_get_next_key,
	.obj_update = xskmap_obj_update,
	.obj_lookup_id = xskmap_obj_lookup_id,
};
