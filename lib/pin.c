/* SPDX-License-Identifier: MIT */
/*
 * Pinned maps: the runtime's stand-in for /sys/fs/bpf.  A short array
 * under one mutex; objects pin a handful of maps, once, at load.
 */
#include <stdlib.h>

#include "internal.h"
#include "../maps/map.h"

/* Index of name in rt->pins, or -1; rt->pin_lock held. */
static long find_pin(struct uebpf_runtime *rt, const char *name)
{
	size_t i;

	for (i = 0; i < rt->nr_pins; i++)
		if (!strcmp(rt->pins[i].name, name))
			return (long)i;
	return -1;
}

static bool pin_name_ok(struct uebpf_runtime *rt, const char *name)
{
	if (!name || !*name) {
		pr_warn(rt, "pin name is empty\n");
		return false;
	}
	if (strlen(name) > 255) {
		pr_warn(rt, "pin name '%.32s...' is longer than 255 bytes\n",
			name);
		return false;
	}
	return true;
}

/* rt->pin_lock held; takes a reference on map. */
int uebpf_pin_add_locked(struct uebpf_runtime *rt, const char *name,
			 struct uebpf_map *map)
{
	struct uebpf_pin *pins;
	char *copy;

	if (find_pin(rt, name) >= 0)
		return -EEXIST;
	copy = strdup(name);
	pins = realloc(rt->pins, (rt->nr_pins + 1) * sizeof(*pins));
	if (!copy || !pins) {
		free(copy);
		if (pins)
			rt->pins = pins;
		return -ENOMEM;
	}
	rt->pins = pins;
	pins[rt->nr_pins].name = copy;
	pins[rt->nr_pins].map = uebpf_map_get(map);
	rt->nr_pins++;
	return 0;
}

/* rt->pin_lock held; a new reference or NULL. */
struct uebpf_map *uebpf_pin_get_locked(struct uebpf_runtime *rt,
				       const char *name)
{
	long i = find_pin(rt, name);

	return i < 0 ? NULL : uebpf_map_get(rt->pins[i].map);
}

int uebpf_map_pin(struct uebpf_map *map, const char *name)
{
	struct uebpf_runtime *rt;
	int err;

	if (!map)
		return -EINVAL;
	rt = map->rt;
	if (!pin_name_ok(rt, name))
		return -EINVAL;
	pthread_mutex_lock(&rt->pin_lock);
	err = uebpf_pin_add_locked(rt, name, map);
	pthread_mutex_unlock(&rt->pin_lock);
	if (err == -EEXIST)
		pr_warn(rt, "map '%s': cannot pin as '%s': the name is pinned already; uebpf_map_unpin() it first\n",
			map->name, name);
	return err;
}

int uebpf_map_unpin(struct uebpf_runtime *rt, const char *name)
{
	struct uebpf_map *map = NULL;
	char *copy = NULL;
	long i;

	if (!rt || !name)
		return -EINVAL;
	pthread_mutex_lock(&rt->pin_lock);
	i = find_pin(rt, name);
	if (i >= 0) {
		copy = rt->pins[i].name;
		map = rt->pins[i].map;
		rt->pins[i] = rt->pins[--rt->nr_pins];
	}
	pthread_mutex_unlock(&rt->pin_lock);
	if (i < 0)
		return -ENOENT;
	free(copy);
	uebpf_map_put(map);
	return 0;
}

struct uebpf_map *uebpf_map_get_pinned(struct uebpf_runtime *rt,
				       const char *name)
{
	struct uebpf_map *map;

	if (!rt || !name) {
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&rt->pin_lock);
	map = uebpf_pin_get_locked(rt, name);
	pthread_mutex_unlock(&rt->pin_lock);
	if (!map)
		errno = ENOENT;
	return map;
}

void uebpf_pins_free(struct uebpf_runtime *rt)
{
	size_t i;

	for (i = 0; i < rt->nr_pins; i++) {
		free(rt->pins[i].name);
		uebpf_map_put(rt->pins[i].map);
	}
	free(rt->pins);
	rt->pins = NULL;
	rt->nr_pins = 0;
}
