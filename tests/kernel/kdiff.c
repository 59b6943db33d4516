/* SPDX-License-Identifier: MIT */
/*
 * Kernel differential tests for XDP: every XDP program of every object
 * given (the objects under build/progs) runs the packet corpus (packets.c)
 * through the kernel's BPF_PROG_TEST_RUN and through libuebpf, and after every
 * packet the verdict, the output bytes (metadata included) and the contents of
 * every map must be the same.  See tests/kernel/README.md.
 *
 *   kdiff [-v] [--seed N] [--keep-going] [--engine interp|jit|both] object.o...
 *
 * Each object is loaded once in the kernel and once per libuebpf engine
 * (--engine, default both: the interpreter and the JIT, each in its own
 * runtime); every packet runs once in the kernel and on every engine, and
 * each engine's verdict, output and maps are compared with the kernel's.
 * A JIT the build does not have is a printed SKIP of that engine (exit 77
 * when it was the only one asked for).
 *
 * Exit status: 0 all agree (or skipped with a printed reason), 1 a
 * difference, 77 nothing could run (no CAP_BPF / not root).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>

#include "uebpf.h"
#include "packets.h"
#include "xdp_lb_cp.h"

#define NELEM(a)  (sizeof(a) / sizeof((a)[0]))
#define ROUND8(x) (((x) + 7u) & ~7u)

/* The kernel's BPF_PROG_TEST_RUN frame (net/bpf/test_run.c): one page,
 * XDP_PACKET_HEADROOM before the packet (the metadata taken from it), and
 * SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) reserved at the end.
 * kernel_geometry() measures the end the program can reach. */
#define K_FRAME	   4096u
#define K_HEADROOM 256u
#define K_SHINFO   320u /* x86-64; checked at start-up */

/* ---- tables ------------------------------------------------------------- */

/*
 * Objects libuebpf refuses today for a reason that is someone's work in
 * progress: while libuebpf's load log names `needle`, the object is
 * SKIPPED with `why`.  An entry whose object loads is STALE and fails the
 * suite: remove it once the feature lands.
 */
static const struct {
	const char *object, *needle, *why;
} expect_unsupported[] = {
	/* Emptied: the XDP buffer helpers, redirects, tail calls and
	 * bpf_loop are on main.  Add { "object", "helper", "why" } here. */
	{NULL, NULL, NULL},
};

/*
 * Loader tests whose objects libbpf 1.1 and libuebpf treat differently by
 * design (include/uebpf/object.h): no reference to run against.  An entry
 * whose object opens and loads the same on both sides is STALE.
 */
static const struct {
	const char *object, *why;
} loader_differs[] = {
	{"core", "CO-RE against the object's own BTF (libbpf: kernel BTF)"},
	{"core_kernel", "CO-RE needing kernel BTF: libuebpf has none"},
	{"extern_kconfig", "__kconfig externs: only the kernel has them"},
	{"legacy_maps", "legacy 'maps' section: libbpf 1.x refuses it"},
	{"legacy_maps_ext", "legacy 'maps' section: libbpf 1.x refuses it"},
	{"same_section", "static programs: libbpf 1.x refuses them"},
};

static const char *loader_differs_why(const char *obj)
{
	size_t i;

	for (i = 0; i < NELEM(loader_differs); i++)
		if (!strcmp(loader_differs[i].object, obj))
			return loader_differs[i].why;
	return NULL;
}

/*
 * Map bytes that cannot match (time, randomness): {object, map, offset,
 * length, why}.  Zeroed on both sides before comparing.
 */
static const struct {
	const char *object, *map;
	uint32_t off, len;
	const char *why;
} masks[] = {
	/* struct lb_flow.last_seen, in the shared and the per-CPU LRUs. */
	{"xdp_lb", "lb_flows", 8, 8, "bpf_ktime_get_ns()"},
	{"xdp_lb", "lb_flows_cpu*", 8, 8, "bpf_ktime_get_ns()"},
};

/* Setup before traffic: the same calls on the kernel's maps and on
 * libuebpf's.  The shape is that of xdp_lb_cp.c's struct xdp_lb_ops. */
struct kd_side {
	void *ctx;
	int (*update)(void *ctx, const char *map, const void *key,
		      const void *value, uint64_t flags);
};

static int setup_parse_drop(const struct kd_side *s)
{
	struct {
		uint32_t plen, addr;
	} l4 = {17, htonl(0xc0a88000u)};
	struct {
		uint32_t plen;
		uint8_t a[16];
	} l6 = {48, {0}};
	struct {
		uint8_t proto, pad;
		uint16_t port;
	} pk = {6, 0, htons(23)};
	uint32_t a4 = htonl(KD_V4_DENY);
	uint64_t zero = 0;
	int rc = 0;

	memcpy(l6.a, kd_v6_lpm_deny, 6);
	rc = rc ?: s->update(s->ctx, "deny_v4", &a4, &zero, BPF_NOEXIST);
	rc = rc ?: s->update(s->ctx, "deny_v6", kd_v6_deny, &zero, BPF_NOEXIST);
	rc = rc ?: s->update(s->ctx, "deny_lpm4", &l4, &zero, BPF_ANY);
	rc = rc ?: s->update(s->ctx, "deny_lpm6", &l6, &zero, BPF_ANY);
	rc = rc ?: s->update(s->ctx, "deny_ports", &pk, &zero, BPF_NOEXIST);
	return rc;
}

static int setup_redirect(const struct kd_side *s)
{
	uint32_t k0 = 0, k1 = 1, k5 = 5, lo = 1;
	uint32_t cpu_val[2] = {192, 0}; /* qsize, no program */
	int rc = 0;

	rc = rc ?: s->update(s->ctx, "tx_ports", &k0, &lo, BPF_ANY);
	rc = rc ?: s->update(s->ctx, "tx_ports_hash", &k5, &lo, BPF_ANY);
	rc = rc ?: s->update(s->ctx, "cpus", &k0, cpu_val, BPF_ANY);
	(void)k1;
	return rc;
}

/* xdp_lb's control plane takes the same struct (tests/progs/xdp_lb_cp.h). */
static int setup_lb(const struct kd_side *s)
{
	const struct xdp_lb_ops ops = {s->ctx, s->update};

	return xdp_lb_configure(&ops);
}

static int lb_add(void *ctx, const void *pkt, size_t len)
{
	char name[32];

	snprintf(name, sizeof(name), "lb-traffic-%zu",
		 ((struct kd_corpus *)ctx)->n);
	return kd_corpus_add(ctx, name, pkt, len);
}

static int traffic_lb(struct kd_corpus *c)
{
	int rc = xdp_lb_traffic(1, 300, lb_add, c);

	return rc < 0 ? rc : 0;
}

static const struct {
	const char *object;
	const char *prog; /* the program before whose traffic; NULL: first */
	int (*setup)(const struct kd_side *side);
	/* Extra packets for this object, appended to the corpus. */
	int (*traffic)(struct kd_corpus *c);
} setups[] = {
	{"xdp_parse_drop", NULL, setup_parse_drop, NULL},
	{"xdp_redirect", NULL, setup_redirect, NULL},
	{"xdp_lb", NULL, setup_lb, traffic_lb},
};

/* ---- state and output --------------------------------------------------- */

static int verbose, keep_going;
static unsigned int seed = 0x5eed;
static int ncpus;
static uint32_t lo_ifindex = 1;
static uint32_t u_frame_sz = K_FRAME - K_SHINFO; /* measured at start */
static char pin_root[64];
static char ulog[8192];
static size_t ulog_len;
static char klog[8192];
static size_t klog_len;

static struct {
	unsigned int objects, objects_skipped, progs, progs_skipped;
	unsigned long packets, compared, mismatches, deferred, frags;
	unsigned int stale, failures;
	unsigned long ring_bytes, map_dumps;
} tot;

/* The libuebpf engines every packet runs on (--engine). */
#define NENG 2
static const enum uebpf_engine eng_id[NENG] = {UEBPF_ENGINE_INTERP,
					       UEBPF_ENGINE_JIT};
static const char *const eng_name[NENG] = {"interp", "jit"};
static bool eng_on[NENG] = {true, true};
/* Why an engine asked for does not run (the JIT probe), else NULL. */
static const char *eng_skip[NENG];
#define FOR_ENG(e)                      \
	for ((e) = 0; (e) < NENG; (e)++) \
		if (!eng_on[e]) {        \
		} else

/* Per engine: what tot counts in sum. */
static struct {
	unsigned int progs, failures;
	unsigned long compared, mismatches, refused_runs, map_dumps,
		ring_bytes;
} etot[NENG];

static void ulog_fn(enum uebpf_log_level level, const char *msg, void *ctx)
{
	size_t n = strlen(msg);

	(void)level, (void)ctx;
	if (ulog_len + n + 2 < sizeof(ulog)) {
		memcpy(ulog + ulog_len, msg, n);
		ulog_len += n;
		if (n && msg[n - 1] != '\n')
			ulog[ulog_len++] = '\n';
		ulog[ulog_len] = 0;
	}
	if (verbose > 1)
		fprintf(stderr, "uebpf: %s%s", msg,
			n && msg[n - 1] == '\n' ? "" : "\n");
}

static int klog_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(klog + klog_len, sizeof(klog) - klog_len, fmt, ap);
	if (n > 0 && klog_len + (size_t)n < sizeof(klog))
		klog_len += (size_t)n;
	if (verbose > 1 || (verbose && level == LIBBPF_WARN))
		vfprintf(stderr, fmt, aq);
	va_end(aq);
	return 0;
}

/* The line of a log that names why a load failed (the last non-empty). */
static const char *last_line(const char *log)
{
	static char line[256];
	const char *e = log + strlen(log), *s;

	while (e > log && (e[-1] == '\n' || e[-1] == ' '))
		e--;
	s = e;
	while (s > log && s[-1] != '\n')
		s--;
	snprintf(line, sizeof(line), "%.*s", (int)(e - s), s);
	return line;
}

/* Why libuebpf's load failed: the runtime's log names it, else the
 * verifier's. */
static const char *uerr(int rc, const char *vlog)
{
	static char b[512];

	snprintf(b, sizeof(b), "%s: %s", strerror(-rc),
		 last_line(ulog[0] ? ulog : vlog));
	return b;
}

/* Hex of two byte strings around the first difference. */
static void hexdiff(const char *what, const uint8_t *a, size_t alen,
		    const uint8_t *b, size_t blen)
{
	size_t i, first = 0, lo, hi, n = alen < blen ? alen : blen;

	while (first < n && a[first] == b[first])
		first++;
	lo = first >= 16 ? (first - 16) & ~(size_t)15 : 0;
	hi = lo + 48;
	printf("      %s: %zu vs %zu bytes, first difference at %zu\n", what,
	       alen, blen, first);
	printf("      kernel  @%-4zu", lo);
	for (i = lo; i < hi && i < alen; i++)
		printf(i == first ? "[%02x]" : " %02x", a[i]);
	printf("\n      libuebpf@%-4zu", lo);
	for (i = lo; i < hi && i < blen; i++)
		printf(i == first ? "[%02x]" : " %02x", b[i]);
	printf("\n");
}

/* ---- maps: one view over a kernel map and a libuebpf map --------------- */

struct mh {
	char name[64];
	int fd;		      /* kernel, or -1 */
	struct uebpf_map *um; /* libuebpf, or NULL */
	struct uebpf_runtime *rt;
	struct uebpf_object *uobj;
	enum bpf_map_type type;
	uint32_t ks, vs, max;
};

static int mh_next(const struct mh *m, const void *k, void *nk)
{
	if (m->fd >= 0)
		return bpf_map_get_next_key(m->fd, k, nk) ? -errno : 0;
	return uebpf_map_get_next_key(m->um, k, nk);
}

static int mh_lookup(const struct mh *m, const void *k, void *v)
{
	if (m->fd >= 0)
		return bpf_map_lookup_elem(m->fd, k, v) ? -errno : 0;
	return uebpf_map_lookup_elem(m->um, k, v);
}

static int mh_pop(const struct mh *m, void *v)
{
	if (m->fd >= 0)
		return bpf_map_lookup_and_delete_elem(m->fd, NULL, v) ? -errno
								      : 0;
	return uebpf_map_lookup_and_delete_elem(m->um, NULL, v);
}

static int mh_push(const struct mh *m, const void *v)
{
	if (m->fd >= 0)
		return bpf_map_update_elem(m->fd, NULL, v, 0) ? -errno : 0;
	return uebpf_map_update_elem(m->um, NULL, v, 0);
}

/* Arrays past this many entries (Katran's 33,554,944-entry ch_rings) are
 * compared in part after every packet and in full once per object. */
#define BIG_ENTRIES 65536u
#define BIG_WINDOW  256u

static bool big_array(const struct mh *m)
{
	return m->type == BPF_MAP_TYPE_ARRAY && m->max > BIG_ENTRIES;
}

static bool percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/* A growing byte string: the canonical dump of a map. */
struct buf {
	uint8_t *p;
	size_t n, cap;
};

static void bput(struct buf *b, const void *d, size_t n)
{
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;

		while (cap < b->n + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p) {
			perror("realloc");
			exit(2);
		}
		b->cap = cap;
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void bput32(struct buf *b, uint32_t v)
{
	bput(b, &v, 4);
}

static void bputs(struct buf *b, const char *s)
{
	bput32(b, (uint32_t)strlen(s));
	bput(b, s, strlen(s));
}

/* A program id in a map value, as the program's name (ids differ). */
static void prog_id_name(const struct mh *m, uint32_t id, char *name, size_t sz)
{
	snprintf(name, sz, "<id %u: unknown>", id);
	if (!id) {
		snprintf(name, sz, "-");
		return;
	}
	if (m->fd >= 0) {
		struct bpf_prog_info info = {};
		uint32_t len = sizeof(info);
		int pfd = bpf_prog_get_fd_by_id(id);

		if (pfd >= 0 && !bpf_obj_get_info_by_fd(pfd, &info, &len))
			snprintf(name, sz, "%s", info.name);
		if (pfd >= 0)
			close(pfd);
	} else {
		struct uebpf_object_prog *p;

		for (p = uebpf_object_next_prog(m->uobj, NULL); p;
		     p = uebpf_object_next_prog(m->uobj, p)) {
			struct uebpf_prog *h = uebpf_object_prog_handle(p);

			if (h && uebpf_prog_id(h) == id) {
				/* The kernel keeps BPF_OBJ_NAME_LEN - 1. */
				snprintf(name, sz, "%.15s",
					 uebpf_object_prog_name(p));
				break;
			}
		}
	}
}

static int dump_map(const struct mh *m, struct buf *out, int depth);

static const char *cur_object = "";

/* Zero the bytes of a value the masks table names for this map (a name
 * ending in '*' is a prefix: inner maps have their kernel names). */
static void mask_value(const struct mh *m, uint8_t *val, size_t vlen)
{
	size_t i, l;

	for (i = 0; i < NELEM(masks); i++) {
		if (strcmp(masks[i].object, cur_object))
			continue;
		l = strlen(masks[i].map);
		if (masks[i].map[l - 1] == '*'
			    ? strncmp(masks[i].map, m->name, l - 1)
			    : strcmp(masks[i].map, m->name))
			continue;
		if ((size_t)masks[i].off + masks[i].len <= vlen)
			memset(val + masks[i].off, 0, masks[i].len);
	}
}

/* An inner map, by id, dumped as its contents. */
static void dump_inner(const struct mh *outer, uint32_t id, struct buf *out,
		       int depth)
{
	struct mh in = {.fd = -1, .rt = outer->rt, .uobj = outer->uobj};

	if (outer->fd >= 0) {
		struct bpf_map_info info = {};
		uint32_t len = sizeof(info);

		in.fd = bpf_map_get_fd_by_id(id);
		if (in.fd < 0 || bpf_obj_get_info_by_fd(in.fd, &info, &len)) {
			bputs(out, "<inner map lost>");
			goto out;
		}
		in.type = info.type;
		snprintf(in.name, sizeof(in.name), "%s", info.name);
		in.ks = info.key_size;
		in.vs = info.value_size;
		in.max = info.max_entries;
	} else {
		in.um = uebpf_map_get_by_id(outer->rt, id);
		if (!in.um) {
			bputs(out, "<inner map lost>");
			return;
		}
		in.type = uebpf_map_type(in.um);
		snprintf(in.name, sizeof(in.name), "%.15s",
			 uebpf_map_name(in.um));
		in.ks = uebpf_map_key_size(in.um);
		in.vs = uebpf_map_value_size(in.um);
		in.max = uebpf_map_max_entries(in.um);
	}
	bput32(out, in.type);
	bput32(out, in.ks);
	bput32(out, in.vs);
	bput32(out, in.max);
	dump_map(&in, out, depth + 1);
out:
	if (in.fd >= 0)
		close(in.fd);
	if (in.um)
		uebpf_map_put(in.um);
}

struct ent {
	uint8_t *k;
	struct buf v;
	uint32_t ks;
};

static int ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	return memcmp(x->k, y->k, x->ks);
}

/*
 * The canonical dump: entries sorted by key, each key then its value with
 * ids replaced by what they name.  Queues and stacks are emptied and
 * refilled in the same order; a lookup error is part of the dump.
 */
static int dump_map(const struct mh *m, struct buf *out, int depth)
{
	size_t vlen = percpu(m->type) ? (size_t)ncpus * ROUND8(m->vs) : m->vs;
	uint8_t *key = calloc(1, m->ks + 1), *nk = calloc(1, m->ks + 1);
	uint8_t *val = calloc(1, vlen + 8);
	struct ent *ents = NULL;
	size_t n = 0, cap = 0, i;
	bool first = true;
	int rc;

	if (!key || !nk || !val)
		exit(2);
	if (m->type == BPF_MAP_TYPE_QUEUE || m->type == BPF_MAP_TYPE_STACK) {
		uint8_t *all = malloc((size_t)m->max * m->vs + 1);
		size_t cnt = 0;

		while (cnt < m->max && !mh_pop(m, all + cnt * m->vs))
			cnt++;
		bput32(out, (uint32_t)cnt);
		bput(out, all, cnt * m->vs);
		/* A queue pops oldest first: push back in that order; a
		 * stack pops newest first: push back in reverse. */
		for (i = 0; i < cnt; i++) {
			size_t j =
				m->type == BPF_MAP_TYPE_QUEUE ? i : cnt - 1 - i;

			mh_push(m, all + j * m->vs);
		}
		free(all);
		goto done;
	}
	if (m->type == BPF_MAP_TYPE_RINGBUF ||
	    m->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		goto done; /* records compared as they are consumed */
	if (big_array(m)) {
		/* After every packet the first BIG_WINDOW entries; all of
		 * them once at the end of the object (compare_big_array). */
		uint32_t k;

		bput32(out, BIG_WINDOW);
		for (k = 0; k < BIG_WINDOW; k++) {
			memset(val, 0, vlen);
			rc = mh_lookup(m, &k, val);
			bput32(out, (uint32_t)rc);
			bput(out, val, vlen);
		}
		goto done;
	}
	for (;;) {
		rc = mh_next(m, first ? NULL : key, nk);
		if (rc)
			break;
		first = false;
		memcpy(key, nk, m->ks);
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			ents = realloc(ents, cap * sizeof(*ents));
			if (!ents)
				exit(2);
		}
		memset(&ents[n], 0, sizeof(ents[n]));
		ents[n].ks = m->ks;
		ents[n].k = malloc(m->ks + 1);
		memcpy(ents[n].k, key, m->ks);
		memset(val, 0, vlen);
		rc = mh_lookup(m, key, val);
		bput32(&ents[n].v, (uint32_t)rc);
		if (rc) {
			n++;
			continue;
		}
		switch (m->type) {
		case BPF_MAP_TYPE_ARRAY_OF_MAPS:
		case BPF_MAP_TYPE_HASH_OF_MAPS:
			if (depth < 2)
				dump_inner(m, *(uint32_t *)val, &ents[n].v,
					   depth);
			break;
		case BPF_MAP_TYPE_PROG_ARRAY: {
			char name[64];

			prog_id_name(m, *(uint32_t *)val, name, sizeof(name));
			bputs(&ents[n].v, name);
			break;
		}
		case BPF_MAP_TYPE_DEVMAP:
		case BPF_MAP_TYPE_DEVMAP_HASH:
		case BPF_MAP_TYPE_CPUMAP:
			bput(&ents[n].v, val, 4);
			if (m->vs >= 8) {
				char name[64];

				prog_id_name(m, ((uint32_t *)val)[1], name,
					     sizeof(name));
				bputs(&ents[n].v, name);
			}
			break;
		default: mask_value(m, val, vlen); bput(&ents[n].v, val, vlen);
		}
		n++;
		if (n > 1u << 20)
			break;
	}
	qsort(ents, n, sizeof(*ents), ent_cmp);
	bput32(out, (uint32_t)n);
	for (i = 0; i < n; i++) {
		bput(out, ents[i].k, m->ks);
		bput32(out, (uint32_t)ents[i].v.n);
		bput(out, ents[i].v.p, ents[i].v.n);
		free(ents[i].k);
		free(ents[i].v.p);
	}
	free(ents);
done:
	free(key);
	free(nk);
	free(val);
	return 0;
}

/* ---- ring buffers: records as consumed --------------------------------- */

static int rb_collect(void *ctx, void *data, size_t size)
{
	struct buf *b = ctx;

	bput32(b, (uint32_t)size);
	bput(b, data, size);
	return 0;
}

/* ---- the two sides ------------------------------------------------------ */

struct mpair {
	const char *name;
	struct mh k, u[NENG];
	struct ring_buffer *krb;
	struct buf kdump, udump[NENG];
	struct buf krec, urec[NENG];
};

/* The kernel's object and one libuebpf object per engine, each in its
 * own runtime (pinned maps are per runtime). */
struct ctx {
	const char *objname;
	struct bpf_object *kobj;
	struct uebpf_runtime *rt[NENG];
	struct uebpf_object *uobj[NENG];
	struct mpair *maps;
	size_t nmaps;
};

static int kside_update(void *c, const char *map, const void *key,
			const void *value, uint64_t flags)
{
	struct bpf_map *m = bpf_object__find_map_by_name(c, map);

	if (!m)
		return -ENOENT;
	return bpf_map_update_elem(bpf_map__fd(m), key, value, flags) ? -errno
								      : 0;
}

static int uside_update(void *c, const char *map, const void *key,
			const void *value, uint64_t flags)
{
	struct uebpf_object_map *m = uebpf_object_find_map(c, map);

	if (!m)
		return -ENOENT;
	return uebpf_map_update_elem(uebpf_object_map_handle(m), key, value,
				     flags);
}

/* libbpf's name of a global data map is "<obj prefix>.<section>";
 * libuebpf finds it by section. */
static struct uebpf_object_map *umap_for(struct uebpf_object *o,
					 const struct bpf_map *km)
{
	const char *name = bpf_map__name(km), *dot;

	if (bpf_map__is_internal(km) && (dot = strchr(name, '.')))
		return uebpf_object_find_map(o, dot);
	return uebpf_object_find_map(o, name);
}

static int pair_maps(struct ctx *c)
{
	struct bpf_map *km;
	size_t n = 0;

	bpf_object__for_each_map(km, c->kobj) n++;
	c->maps = calloc(n + 1, sizeof(*c->maps));
	bpf_object__for_each_map(km, c->kobj)
	{
		struct mpair *p = &c->maps[c->nmaps];
		int e;

		p->name = bpf_map__name(km);
		snprintf(p->k.name, sizeof(p->k.name), "%s", p->name);
		p->k.fd = bpf_map__fd(km);
		p->k.type = bpf_map__type(km);
		p->k.ks = bpf_map__key_size(km);
		p->k.vs = bpf_map__value_size(km);
		p->k.max = bpf_map__max_entries(km);
		FOR_ENG(e)
		{
			struct uebpf_object_map *om = umap_for(c->uobj[e], km);
			struct mh *u = &p->u[e];

			if (!om || !uebpf_object_map_handle(om)) {
				printf("    MISMATCH: map %s: libuebpf (%s) has "
				       "no such map\n",
				       p->name, eng_name[e]);
				return -1;
			}
			*u = p->k;
			u->fd = -1;
			u->um = uebpf_object_map_handle(om);
			u->rt = c->rt[e];
			u->uobj = c->uobj[e];
			p->k.rt = c->rt[e];
			if (uebpf_map_type(u->um) != p->k.type ||
			    uebpf_map_key_size(u->um) != p->k.ks ||
			    uebpf_map_value_size(u->um) != p->k.vs ||
			    uebpf_map_max_entries(u->um) != p->k.max) {
				printf("    MISMATCH: map %s: kernel %s "
				       "%u/%u/%u, libuebpf %s %u/%u/%u\n",
				       p->name, uebpf_map_type_name(p->k.type),
				       p->k.ks, p->k.vs, p->k.max,
				       uebpf_map_type_name(
					       uebpf_map_type(u->um)),
				       uebpf_map_key_size(u->um),
				       uebpf_map_value_size(u->um),
				       uebpf_map_max_entries(u->um));
				return -1;
			}
		}
		if (p->k.type == BPF_MAP_TYPE_RINGBUF) {
			p->krb = ring_buffer__new(p->k.fd, rb_collect, &p->krec,
						  NULL);
			if (!p->krb) {
				printf("    ring_buffer__new(%s): %s\n",
				       p->name, strerror(errno));
				return -1;
			}
		}
		c->nmaps++;
	}
	return 0;
}

/* Compare every map of every engine with the kernel's (dumped once);
 * print the first differences.  Returns a bit per engine whose maps
 * differ. */
static unsigned int compare_maps(struct ctx *c, const char *pkt,
				 unsigned int mask)
{
	unsigned int bad = 0;
	size_t i;
	int e;

	for (i = 0; i < c->nmaps; i++) {
		struct mpair *p = &c->maps[i];

		p->kdump.n = p->krec.n = 0;
		dump_map(&p->k, &p->kdump, 0);
		if (p->krb) {
			ring_buffer__consume(p->krb);
			tot.ring_bytes += p->krec.n;
		}
		FOR_ENG(e)
		{
			struct buf *ud = &p->udump[e], *ur = &p->urec[e];

			if (!(mask & 1u << e))
				continue;
			ud->n = ur->n = 0;
			dump_map(&p->u[e], ud, 0);
			tot.map_dumps++;
			etot[e].map_dumps++;
			if (p->krb) {
				uebpf_ringbuf_consume(p->u[e].um, rb_collect,
						      ur);
				etot[e].ring_bytes += p->krec.n;
				if (p->krec.n != ur->n ||
				    memcmp(p->krec.p, ur->p, p->krec.n)) {
					if (!(bad & 1u << e))
						printf("    after %s, engine "
						       "%s:\n",
						       pkt, eng_name[e]);
					bad |= 1u << e;
					printf("      ringbuf %s records "
					       "differ\n",
					       p->name);
					hexdiff("records", p->krec.p,
						p->krec.n, ur->p, ur->n);
				}
			}
			if (p->kdump.n != ud->n ||
			    memcmp(p->kdump.p, ud->p, p->kdump.n)) {
				if (!(bad & 1u << e))
					printf("    after %s, engine %s:\n", pkt,
					       eng_name[e]);
				bad |= 1u << e;
				printf("      map %s (%s) differs (dump: count, "
				       "then key, value length, lookup rc, "
				       "value)\n",
				       p->name, uebpf_map_type_name(p->k.type));
				hexdiff("dump", p->kdump.p, p->kdump.n, ud->p,
					ud->n);
			}
		}
	}
	return bad;
}

/*
 * A big array in full, once: the kernel's through mmap (run_object gives
 * big plain arrays BPF_F_MMAPABLE, which programs cannot tell; a batch
 * lookup takes seconds per million entries), libuebpf's in batches.
 */
static int compare_big_array(const struct mpair *p, int e)
{
	uint32_t chunk = 65536, pos = 0, in = 0, out;
	/* The kernel lays elements out 8-byte aligned. */
	size_t stride = ROUND8(p->k.vs), len = (size_t)p->k.max * stride;
	uint32_t j;
	uint32_t *keys = malloc(chunk * 4);
	uint8_t *uv = malloc((size_t)chunk * p->k.vs), *kmem;
	int bad = 0;

	kmem = mmap(NULL, len, PROT_READ, MAP_SHARED, p->k.fd, 0);
	if (kmem == MAP_FAILED) {
		printf("    map %s: mmap: %s (not compared in full)\n", p->name,
		       strerror(errno));
		free(keys);
		free(uv);
		return -1;
	}
	while (pos < p->k.max && !bad) {
		UEBPF_OPTS(uebpf_map_batch_opts, uo);
		uint32_t n = chunk;
		int rc = uebpf_map_lookup_batch(p->u[e].um, pos ? &in : NULL,
						&out,
						keys, uv, &n, &uo);

		for (j = 0; j < n; j++)
			if (memcmp(kmem + (size_t)(pos + j) * stride,
				   uv + (size_t)j * p->k.vs, p->k.vs))
				break;
		if ((rc && rc != -ENOENT) || (!n && pos < p->k.max) || j < n) {
			printf("    map %s: entries from %u differ (libuebpf "
			       "%s batch rc %d, %u entries)\n",
			       p->name, pos, eng_name[e], rc, n);
			if (j < n)
				hexdiff("entry",
					kmem + (size_t)(pos + j) * stride,
					p->k.vs, uv + (size_t)j * p->k.vs,
					p->k.vs);
			bad = -1;
		}
		pos += n;
		in = out;
		if (rc == -ENOENT || !n)
			break;
	}
	munmap(kmem, len);
	free(keys);
	free(uv);
	return bad;
}

static void free_maps(struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->nmaps; i++) {
		ring_buffer__free(c->maps[i].krb);
		free(c->maps[i].kdump.p);
		free(c->maps[i].krec.p);
		for (int e = 0; e < NENG; e++) {
			free(c->maps[i].udump[e].p);
			free(c->maps[i].urec[e].p);
		}
	}
	free(c->maps);
	c->maps = NULL;
	c->nmaps = 0;
}

/* ---- running one packet ----------------------------------------------- */

struct kres {
	int err;
	uint32_t retval, size_out;
	struct xdp_md ctx_out;
	uint8_t out[K_FRAME];
};

static void kernel_run(int fd, const struct kd_pkt *p, struct kres *r)
{
	struct xdp_md in = {
		.data = p->meta_len,
		.data_end = p->meta_len + p->len,
		.ingress_ifindex = p->ingress_ifindex,
		.rx_queue_index = p->rx_queue_index,
	};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->data,
		    .data_size_in = p->meta_len + p->len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .ctx_in = &in,
		    .ctx_size_in = sizeof(in), .ctx_out = &r->ctx_out,
		    .ctx_size_out = sizeof(r->ctx_out));

	memset(&r->ctx_out, 0, sizeof(r->ctx_out));
	r->err = bpf_prog_test_run_opts(fd, &o) ? -errno : 0;
	r->retval = o.retval;
	r->size_out = o.data_size_out;
}

struct ures {
	int rc;
	struct uebpf_xdp_result res;
	uint8_t frame[K_FRAME] __attribute__((aligned(64)));
};

/* The kernel's geometry: the packet at K_HEADROOM, the metadata before
 * it, the frame zeroed, its usable end at u_frame_sz; without a device in
 * ctx_in the program sees lo, queue 0. */
static void uebpf_run(struct uebpf_prog *prog, const struct kd_pkt *p,
		      struct ures *r)
{
	uint8_t *data = r->frame + K_HEADROOM;
	struct uebpf_xdp_buff b = {
		.sz = sizeof(b),
		.data_hard_start = r->frame,
		.data = data,
		.data_end = data + p->len,
		.data_meta = data - p->meta_len,
		.frame_sz = u_frame_sz,
		.ingress_ifindex =
			p->ingress_ifindex ? p->ingress_ifindex : lo_ifindex,
		.rx_queue_index = p->rx_queue_index,
	};

	memset(r->frame, 0, sizeof(r->frame));
	memcpy(data - p->meta_len, p->data, p->meta_len + p->len);
	memset(&r->res, 0, sizeof(r->res));
	r->res.sz = sizeof(r->res);
	r->rc = uebpf_xdp_run(prog, &b, &r->res);
}

static const char *act_name(uint32_t a)
{
	static const char *const n[] = {"ABORTED", "DROP", "PASS", "TX",
					"REDIRECT"};
	return a < NELEM(n) ? n[a] : "?";
}

/* ---- one object ---------------------------------------------------------- */

struct progrun {
	const char *name;
	int kfd;
	struct uebpf_prog *up[NENG];
	unsigned long packets, deferred, frags;
	unsigned long compared[NENG], mismatches[NENG];
	bool stopped[NENG];
	size_t *refused;  /* corpus indexes the kernel refused */
	int *refused_err; /* and its errors */
	size_t nrefused;
};

static bool is_xdp_section(const char *sec)
{
	return !strncmp(sec, "xdp", 3) && strncmp(sec, "xdp/devmap", 10) &&
	       strncmp(sec, "xdp/cpumap", 10) &&
	       strncmp(sec, "xdp.frags/devmap", 16) &&
	       strncmp(sec, "xdp.frags/cpumap", 16);
}

/* Does a packet fit the kernel's linear area (else test_run makes
 * fragments, which libuebpf's buffers do not have)? */
static bool linear(const struct kd_pkt *p)
{
	return p->len <= K_FRAME - K_HEADROOM - K_SHINFO;
}

/* One engine's run of a packet the kernel ran: verdict and output.
 * Returns true when they differ. */
static bool compare_run(const struct kres *kr, const struct ures *ur,
			const char *what, const char *eng)
{
	const uint8_t *kd = kr->out, *ud;
	size_t kmeta = kr->ctx_out.data, ulen, umeta;

	if (ur->rc < 0 || ur->res.err) {
		printf("    MISMATCH %s, engine %s: kernel %s, libuebpf run "
		       "failed: %s\n",
		       what, eng, act_name(kr->retval),
		       strerror(-(ur->res.err ? ur->res.err : ur->rc)));
		return true;
	}
	if (kr->retval != ur->res.retval) {
		printf("    MISMATCH %s, engine %s: verdict kernel %u (%s), "
		       "libuebpf %u (%s)\n",
		       what, eng, kr->retval, act_name(kr->retval),
		       ur->res.retval, act_name(ur->res.retval));
		return true;
	}
	ud = ur->res.data_meta ? ur->res.data_meta : ur->res.data;
	umeta = (const uint8_t *)ur->res.data - ud;
	ulen = (const uint8_t *)ur->res.data_end - ud;
	if (kmeta != umeta || kr->size_out != ulen || memcmp(kd, ud, ulen)) {
		printf("    MISMATCH %s, engine %s: output (metadata %zu vs "
		       "%zu bytes)\n",
		       what, eng, kmeta, umeta);
		hexdiff("data_out", kd, kr->size_out, ud, ulen);
		return true;
	}
	return false;
}

static int run_prog(struct ctx *c, struct progrun *pr,
		    const struct kd_corpus *corpus, struct kres *kr,
		    struct ures *ur)
{
	size_t i;
	int e;

	pr->refused = calloc(corpus->n + 1, sizeof(size_t));
	pr->refused_err = calloc(corpus->n + 1, sizeof(int));
	for (i = 0; i < corpus->n; i++) {
		const struct kd_pkt *p = &corpus->p[i];
		unsigned int bad = 0, live = 0, mbad;
		char what[128];

		FOR_ENG(e) live |= pr->stopped[e] ? 0 : 1u << e;
		if (!live)
			break;
		if (!linear(p)) {
			pr->frags++;
			continue;
		}
		pr->packets++;
		kernel_run(pr->kfd, p, kr);
		if (kr->err) {
			/* The kernel did not run it (runts: -EINVAL): its
			 * maps did not change, so libuebpf runs it only at
			 * the end, where states no longer need to match. */
			pr->refused_err[pr->nrefused] = kr->err;
			pr->refused[pr->nrefused++] = i;
			pr->deferred++;
			continue;
		}
		snprintf(what, sizeof(what), "packet #%zu %s (%u+%u bytes)", i,
			 p->name, p->meta_len, p->len);
		/* Every engine runs it, even one that stopped comparing:
		 * its maps then stay in step with the kernel's. */
		FOR_ENG(e)
		{
			uebpf_run(pr->up[e], p, ur);
			if (pr->stopped[e])
				continue;
			pr->compared[e]++;
			if (compare_run(kr, ur, what, eng_name[e]))
				bad |= 1u << e;
		}
		mbad = compare_maps(c, what, live);
		bad = (bad | mbad) & live;
		FOR_ENG(e)
		{
			if (!(bad & 1u << e))
				continue;
			pr->mismatches[e]++;
			if (!keep_going && pr->mismatches[e] >= 3) {
				printf("    (engine %s: stopping this program "
				       "after 3 mismatches; --keep-going for "
				       "all)\n",
				       eng_name[e]);
				pr->stopped[e] = true;
			}
		}
		if (!bad && verbose > 1)
			printf("    ok %s: %s\n", what, act_name(kr->retval));
	}
	return 0;
}

/* What the kernel refused to run, libuebpf must refuse with the same
 * error (uebpf_xdp_run() documents -EINVAL for a packet shorter than
 * ETH_HLEN) or run safely: a verdict, no error, the bounds inside the
 * frame. */
static int run_refused(struct progrun *pr, const struct kd_corpus *corpus,
		       struct ures *ur, int eng)
{
	size_t i;
	int bad = 0;

	for (i = 0; i < pr->nrefused; i++) {
		const struct kd_pkt *p = &corpus->p[pr->refused[i]];
		const uint8_t *d, *e;

		etot[eng].refused_runs++;
		uebpf_run(pr->up[eng], p, ur);
		d = ur->res.data;
		e = ur->res.data_end;
		if (ur->rc == pr->refused_err[i]) {
			if (verbose)
				printf("    %s: both refuse it (%s, engine "
				       "%s)\n",
				       p->name, strerror(-ur->rc),
				       eng_name[eng]);
			continue;
		}
		if (ur->rc < 0 || ur->res.err ||
		    ur->res.action > XDP_REDIRECT || d < ur->frame || e < d ||
		    e > ur->frame + u_frame_sz) {
			printf("    UNSAFE %s (kernel refuses it), engine %s: "
			       "rc %d err %d action %u\n",
			       p->name, eng_name[eng], ur->rc, ur->res.err,
			       ur->res.action);
			bad++;
		} else if (verbose) {
			printf("    %s: kernel refuses it (%s), libuebpf (%s) "
			       "runs it safely: %s\n",
			       p->name, strerror(-pr->refused_err[i]),
			       eng_name[eng], act_name(ur->res.action));
		}
	}
	return bad;
}

static const char *obj_base(const char *path, char *buf, size_t sz)
{
	const char *s = strrchr(path, '/');

	snprintf(buf, sz, "%s", s ? s + 1 : path);
	if (strchr(buf, '.'))
		*strchr(buf, '.') = 0;
	return buf;
}

static void run_setup(struct ctx *c, const char *prog)
{
	size_t i;

	for (i = 0; i < NELEM(setups); i++) {
		struct kd_side ks = {c->kobj, kside_update};
		int krc, urc, e;

		if (strcmp(setups[i].object, c->objname) || !setups[i].setup)
			continue;
		if (setups[i].prog ? !prog || strcmp(setups[i].prog, prog)
				   : prog != NULL)
			continue;
		krc = setups[i].setup(&ks);
		FOR_ENG(e)
		{
			struct kd_side us = {c->uobj[e], uside_update};

			urc = setups[i].setup(&us);
			if (krc || urc) {
				printf("    setup: kernel %d, libuebpf (%s) "
				       "%d%s\n",
				       krc, eng_name[e], urc,
				       krc == urc ? "" : " (MISMATCH)");
				if (krc != urc) {
					tot.failures++;
					etot[e].failures++;
				}
			}
		}
	}
}

/* The first engine --engine turned on: its object stands for libuebpf
 * where the engines agree (open, load). */
static int first_eng(void)
{
	int e;

	FOR_ENG(e) return e;
	return 0;
}

static void run_object(const char *path, const struct kd_corpus *base)
{
	/* Big enough for a level-1 log of any test program: a full log
	 * fails the load with -ENOSPC, as in the kernel. */
	static char ubufs[NENG][8 << 20];
	char objname[128];
	struct kd_corpus corpus = *base, extra = {0};
	struct ctx c = {.objname = obj_base(path, objname, sizeof(objname))};
	UEBPF_OPTS(uebpf_runtime_opts, ropts, .log_fn = ulog_fn,
		   .log_level = UEBPF_LOG_WARN);
	LIBBPF_OPTS(bpf_object_open_opts, kopts, .pin_root_path = pin_root);
	struct bpf_program *kp;
	struct uebpf_object_prog *op;
	struct progrun prs[64];
	size_t nprs = 0, i;
	int krc, urc = 0, urcs[NENG] = {0}, nxdp = 0, e, f = first_eng();
	bool uopen = true, uany = false, uload_split = false;
	struct kres *kr = malloc(sizeof(*kr));
	struct ures *ur = aligned_alloc(64, sizeof(*ur));
	bool need_unsupported = false;
	char *ubuf = ubufs[f];

	memset(prs, 0, sizeof(prs));
	ulog_len = klog_len = 0;
	ulog[0] = klog[0] = 0;
	tot.objects++;
	cur_object = objname;
	ropts.nr_cpus = (unsigned int)ncpus;
	FOR_ENG(e)
	{
		UEBPF_OPTS(uebpf_object_open_opts, uopts, .log_buf = ubufs[e],
			   .log_size = sizeof(ubufs[e]), .log_level = 1,
			   .engine = eng_id[e]);

		ubufs[e][0] = 0;
		c.rt[e] = uebpf_runtime_new(&ropts);
		if (!c.rt[e] || uebpf_worker_bind(c.rt[e], 0)) {
			printf("%s: uebpf_runtime_new: %s\n", objname,
			       strerror(errno));
			tot.failures++;
			goto out;
		}
		c.uobj[e] = uebpf_object_open_file(c.rt[e], path, &uopts);
		uopen &= c.uobj[e] != NULL;
		uany |= c.uobj[e] != NULL;
	}
	if (uopen != uany) {
		printf("%s: MISMATCH: open differs between the engines:", objname);
		FOR_ENG(e) printf(" %s %s", eng_name[e],
				  c.uobj[e] ? "ok" : "refused");
		printf(" (%s)\n", last_line(ulog));
		tot.failures++;
		goto out;
	}
	c.kobj = bpf_object__open_file(path, &kopts);
	if (!c.kobj || !uopen) {
		if (!c.kobj && !uopen) {
			printf("%s: both refuse to open it (agree)\n", objname);
		} else if (loader_differs_why(objname)) {
			printf("%s: SKIPPED: loaders differ by design (%s): "
			       "open: kernel %s, libuebpf %s\n",
			       objname, loader_differs_why(objname),
			       c.kobj ? "ok" : last_line(klog),
			       uopen ? "ok" : last_line(ulog));
			tot.objects_skipped++;
		} else {
			printf("%s: MISMATCH: open: kernel %s, libuebpf %s\n",
			       objname, c.kobj ? "ok" : last_line(klog),
			       uopen ? "ok" : last_line(ulog));
			tot.failures++;
		}
		goto out;
	}
	/* XDP programs only, on both sides. */
	bpf_object__for_each_program(kp, c.kobj)
	{
		bool x = bpf_program__type(kp) == BPF_PROG_TYPE_XDP &&
			 is_xdp_section(bpf_program__section_name(kp));

		if (!x)
			bpf_program__set_autoload(kp, false);
		nxdp += x && bpf_program__autoload(kp);
	}
	FOR_ENG(e)
	for (op = uebpf_object_next_prog(c.uobj[e], NULL); op;
	     op = uebpf_object_next_prog(c.uobj[e], op)) {
		struct bpf_program *k = bpf_object__find_program_by_name(
			c.kobj, uebpf_object_prog_name(op));

		uebpf_object_prog_set_autoload(op,
					       k && bpf_program__autoload(k));
	}
	if (!nxdp) {
		printf("%s: no XDP program (nothing to run)\n", objname);
		tot.objects_skipped++;
		goto out;
	}
	{
		struct bpf_map *km;

		bpf_object__for_each_map(
			km,
			c.kobj) if (bpf_map__type(km) == BPF_MAP_TYPE_ARRAY &&
				    bpf_map__max_entries(km) > BIG_ENTRIES &&
				    !bpf_map__is_internal(km))
			bpf_map__set_map_flags(km, bpf_map__map_flags(km) |
							   BPF_F_MMAPABLE);
	}
	krc = bpf_object__load(c.kobj);
	FOR_ENG(e)
	{
		urcs[e] = uebpf_object_load(c.uobj[e]);
		uload_split |= !urcs[e] != !urcs[f];
		if (urcs[e] && !urc) {
			urc = urcs[e];
			ubuf = ubufs[e];
		}
	}
	if (uload_split) {
		/* One engine loads what another refuses: the JIT must take
		 * every program the interpreter takes (or say why). */
		printf("%s: MISMATCH: load differs between the engines:",
		       objname);
		FOR_ENG(e) printf(" %s %s", eng_name[e],
				  urcs[e] ? uerr(urcs[e], ubufs[e]) : "ok");
		printf("\n");
		tot.failures++;
		FOR_ENG(e) etot[e].failures += urcs[e] != 0;
		goto out;
	}
	for (i = 0; i < NELEM(expect_unsupported); i++) {
		if (!expect_unsupported[i].object ||
		    strcmp(expect_unsupported[i].object, objname))
			continue;
		if (urc && (strstr(ubuf, expect_unsupported[i].needle) ||
			    strstr(ulog, expect_unsupported[i].needle))) {
			need_unsupported = true;
			printf("%s: SKIPPED: libuebpf does not have %s yet "
			       "(%s; expect_unsupported)\n",
			       objname, expect_unsupported[i].needle,
			       expect_unsupported[i].why);
			break;
		}
	}
	if (need_unsupported) {
		tot.objects_skipped++;
		goto out;
	}
	for (i = 0; i < NELEM(expect_unsupported); i++)
		if (!urc && expect_unsupported[i].object &&
		    !strcmp(expect_unsupported[i].object, objname)) {
			printf("%s: STALE expect_unsupported entry (%s): "
			       "libuebpf loads it now; remove the entry\n",
			       objname, expect_unsupported[i].needle);
			tot.stale++;
		}
	if (krc || urc) {
		if (krc && urc) {
			printf("%s: both refuse to load it (agree)\n    "
			       "kernel: "
			       "%s\n",
			       objname, last_line(klog));
			printf("    libuebpf: %s\n", uerr(urc, ubuf));
		} else if (loader_differs_why(objname)) {
			printf("%s: SKIPPED: loaders differ by design (%s): "
			       "load: kernel %s, libuebpf %s\n",
			       objname, loader_differs_why(objname),
			       krc ? last_line(klog) : "ok",
			       urc ? uerr(urc, ubuf) : "ok");
			tot.objects_skipped++;
		} else {
			printf("%s: MISMATCH: load: kernel %s, libuebpf %s\n",
			       objname, krc ? last_line(klog) : "ok",
			       urc ? uerr(urc, ubuf) : "ok");
			tot.failures++;
		}
		goto out;
	}
	if (loader_differs_why(objname)) {
		printf("%s: STALE loader_differs entry: both load it now\n",
		       objname);
		tot.stale++;
	}
	if (pair_maps(&c)) {
		tot.failures++;
		goto out;
	}
	/* Extra traffic of this object. */
	for (i = 0; i < NELEM(setups); i++)
		if (!strcmp(setups[i].object, objname) && setups[i].traffic) {
			size_t j;

			for (j = 0; j < base->n; j++)
				kd_corpus_add_full(
					&extra, base->p[j].name,
					base->p[j].data, base->p[j].meta_len,
					base->p[j].data + base->p[j].meta_len,
					base->p[j].len,
					base->p[j].ingress_ifindex,
					base->p[j].rx_queue_index);
			setups[i].traffic(&extra);
			corpus = extra;
		}
	run_setup(&c, NULL);
	if (compare_maps(&c, "setup", ~0u))
		tot.failures++;
	bpf_object__for_each_program(kp, c.kobj)
	{
		struct progrun *pr;
		bool loaded = true;

		if (!bpf_program__autoload(kp) || nprs == NELEM(prs))
			continue;
		pr = &prs[nprs++];
		pr->name = bpf_program__name(kp);
		pr->kfd = bpf_program__fd(kp);
		tot.progs++;
		FOR_ENG(e)
		{
			op = uebpf_object_find_prog(c.uobj[e], pr->name);
			pr->up[e] = op ? uebpf_object_prog_handle(op) : NULL;
			etot[e].progs++;
			if (!pr->up[e]) {
				printf("%s/%s: MISMATCH: libuebpf (%s) did "
				       "not load it\n",
				       objname, pr->name, eng_name[e]);
				loaded = false;
			} else if (uebpf_prog_engine(pr->up[e]) != eng_id[e]) {
				printf("%s/%s: engine %s asked, the program "
				       "runs on engine %d\n",
				       objname, pr->name, eng_name[e],
				       (int)uebpf_prog_engine(pr->up[e]));
				loaded = false;
			}
			if (!loaded)
				etot[e].failures++;
		}
		if (!loaded) {
			tot.failures++;
			pr->up[0] = pr->up[1] = NULL;
			continue;
		}
		run_setup(&c, pr->name);
		run_prog(&c, pr, &corpus, kr, ur);
		printf("%s/%s: %lu packets (%lu refused by the kernel, %lu "
		       "past the linear area)",
		       objname, pr->name, pr->packets, pr->deferred, pr->frags);
		FOR_ENG(e)
		{
			printf("; %s: %lu compared, %lu mismatches",
			       eng_name[e], pr->compared[e],
			       pr->mismatches[e]);
			if (eng_id[e] == UEBPF_ENGINE_JIT)
				printf(", %zu bytes of code",
				       uebpf_prog_jited_len(pr->up[e]));
			tot.compared += pr->compared[e];
			tot.mismatches += pr->mismatches[e];
			etot[e].compared += pr->compared[e];
			etot[e].mismatches += pr->mismatches[e];
		}
		printf("\n");
		tot.packets += pr->packets;
		tot.deferred += pr->deferred;
		tot.frags += pr->frags;
	}
	for (i = 0; i < c.nmaps; i++)
		if (big_array(&c.maps[i].k)) {
			printf("%s: map %s (%u entries): first %u compared "
			       "after every packet, all at the end\n",
			       objname, c.maps[i].name, c.maps[i].k.max,
			       BIG_WINDOW);
			FOR_ENG(e)
			if (compare_big_array(&c.maps[i], e)) {
				tot.failures++;
				etot[e].failures++;
			}
		}
	/* Now the packets the kernel refused, on libuebpf alone. */
	for (i = 0; i < nprs; i++) {
		if (!prs[i].up[f])
			continue;
		FOR_ENG(e)
		if (run_refused(&prs[i], &corpus, ur, e)) {
			tot.failures++;
			etot[e].failures++;
		}
	}
out:
	for (i = 0; i < nprs; i++) {
		free(prs[i].refused);
		free(prs[i].refused_err);
	}
	free_maps(&c);
	if (c.kobj) {
		bpf_object__unpin_maps(c.kobj, NULL);
		bpf_object__close(c.kobj);
	}
	for (e = 0; e < NENG; e++) {
		uebpf_object_close(c.uobj[e]);
		uebpf_runtime_free(c.rt[e]);
	}
	if (extra.n)
		kd_corpus_free(&extra);
	free(kr);
	free(ur);
}

/* ---- start-up ------------------------------------------------------------ */

/*
 * The end of the kernel's test_run frame, as bpf_xdp_adjust_tail() sees
 * it: the largest growth of a 64-byte packet, plus the headroom and the
 * packet, is the end a libuebpf frame_sz must give (the kernel's frame_sz
 * less its skb_shared_info reserve).
 */
static int kernel_geometry(void)
{
	uint8_t pkt[64] = {0};
	int lo = 0, hi = (int)K_FRAME, fd = -1;

	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;
		struct bpf_insn insns[] = {
			{.code = BPF_ALU64 | BPF_MOV | BPF_K,
			 .dst_reg = 2,
			 .imm = mid},
			{.code = BPF_JMP | BPF_CALL,
			 .imm = BPF_FUNC_xdp_adjust_tail},
			{.code = BPF_ALU64 | BPF_MOV | BPF_K,
			 .dst_reg = 1,
			 .imm = XDP_PASS},
			{.code = BPF_JMP | BPF_JEQ | BPF_K,
			 .dst_reg = 0,
			 .off = 1,
			 .imm = 0},
			{.code = BPF_ALU64 | BPF_MOV | BPF_K,
			 .dst_reg = 1,
			 .imm = XDP_DROP},
			{.code = BPF_ALU64 | BPF_MOV | BPF_X,
			 .dst_reg = 0,
			 .src_reg = 1},
			{.code = BPF_JMP | BPF_EXIT},
		};
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
			    .data_size_in = sizeof(pkt));

		fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "kd_geom", "GPL", insns,
				   NELEM(insns), NULL);
		if (fd < 0)
			return -errno;
		if (bpf_prog_test_run_opts(fd, &o)) {
			int e = -errno;

			close(fd);
			return e;
		}
		close(fd);
		if (o.retval == XDP_PASS)
			lo = mid;
		else
			hi = mid - 1;
	}
	u_frame_sz = K_HEADROOM + sizeof(pkt) + (uint32_t)lo;
	printf("kernel test_run frame: packet at %u, usable end at %u "
	       "(expected %u = %u - skb_shared_info %u)%s\n",
	       K_HEADROOM, u_frame_sz, K_FRAME - K_SHINFO, K_FRAME, K_SHINFO,
	       u_frame_sz == K_FRAME - K_SHINFO ? "" : " (using the measured)");
	return 0;
}

/* Does libuebpf compile programs here?  Without a JIT (a build for
 * another machine), the JIT engine is skipped, saying why; 77 when it was
 * the only engine asked for. */
static int jit_probe(void)
{
	static const struct bpf_insn pass[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .imm = XDP_PASS},
		{.code = BPF_JMP | BPF_EXIT},
	};
	char log[512] = "";
	UEBPF_OPTS(uebpf_runtime_opts, ro, .log_quiet = true);
	UEBPF_OPTS(uebpf_prog_load_opts, lo, .name = "kd_jit_probe",
		   .engine = UEBPF_ENGINE_JIT, .log_buf = log,
		   .log_size = sizeof(log), .log_level = 1);
	struct uebpf_runtime *rt;
	struct uebpf_prog *prog;
	int err;

	if (!eng_on[1])
		return 0;
	rt = uebpf_runtime_new(&ro);
	if (!rt) {
		printf("uebpf_runtime_new: %s\n", strerror(errno));
		return 1;
	}
	prog = uebpf_prog_load(rt, BPF_PROG_TYPE_XDP, pass, 2, &lo);
	err = prog ? 0 : errno;
	if (prog && uebpf_prog_engine(prog) != UEBPF_ENGINE_JIT) {
		printf("engine jit: a program loaded with UEBPF_ENGINE_JIT "
		       "runs on engine %d\n",
		       (int)uebpf_prog_engine(prog));
		err = -1;
	}
	uebpf_prog_free(prog);
	uebpf_runtime_free(rt);
	if (!err)
		return 0;
	if (err != EOPNOTSUPP) {
		printf("engine jit: probe load failed: %s: %s\n",
		       strerror(err), last_line(log));
		return 1;
	}
	eng_on[1] = false;
	eng_skip[1] = "SKIPPED: this build of libuebpf has no JIT";
	printf("SKIP: engine jit: %s\n", last_line(log));
	return eng_on[0] ? 0 : 77;
}

static int pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

int main(int argc, char **argv)
{
	struct kd_corpus corpus = {0};
	struct timespec t0, t1;
	int i, rc, nobj = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-v"))
			verbose++;
		else if (!strcmp(argv[i], "-vv"))
			verbose += 2;
		else if (!strcmp(argv[i], "--keep-going"))
			keep_going = 1;
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--engine") && i + 1 < argc &&
			 (!strcmp(argv[i + 1], "interp") ||
			  !strcmp(argv[i + 1], "jit") ||
			  !strcmp(argv[i + 1], "both"))) {
			i++;
			eng_on[0] = strcmp(argv[i], "jit") != 0;
			eng_on[1] = strcmp(argv[i], "interp") != 0;
		} else {
			fprintf(stderr,
				"usage: %s [-v] [--seed N] [--keep-going] "
				"[--engine interp|jit|both] object.o...\n",
				argv[0]);
			return 2;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	libbpf_set_print(klog_fn);
	{
		/* Can we use bpf(2) at all? */
		struct bpf_insn ret[] = {
			{.code = BPF_ALU64 | BPF_MOV | BPF_K, .imm = XDP_PASS},
			{.code = BPF_JMP | BPF_EXIT},
		};
		int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "kd_probe", "GPL",
				       ret, 2, NULL);

		if (fd < 0) {
			printf("SKIP: kernel differential tests need bpf(2) "
			       "with CAP_BPF/CAP_NET_ADMIN (root): "
			       "bpf_prog_load: %s\n",
			       strerror(errno));
			return 77;
		}
		close(fd);
	}
	rc = jit_probe();
	if (rc)
		return rc;
	rc = pin_cpu0();
	if (rc) {
		printf("sched_setaffinity(cpu 0): %s\n", strerror(-rc));
		return 1;
	}
	ncpus = libbpf_num_possible_cpus();
	lo_ifindex = if_nametoindex("lo");
	if (!lo_ifindex)
		lo_ifindex = 1;
	rc = kernel_geometry();
	if (rc) {
		printf("measuring the kernel's test_run frame: %s\n",
		       strerror(-rc));
		return 1;
	}
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/uebpf-kdiff-%d",
		 (int)getpid());
	if (mkdir(pin_root, 0700) && errno != EEXIST) {
		printf("mkdir %s: %s (pinned maps will fail)\n", pin_root,
		       strerror(errno));
	}
	rc = kd_corpus_build(&corpus, seed);
	if (rc) {
		printf("building the corpus: %s\n", strerror(-rc));
		return 1;
	}
	printf("corpus: %zu packets (seed %#x); %d possible CPUs, running on "
	       "CPU 0 as libuebpf slot 0\n",
	       corpus.n, seed, ncpus);
	for (; i < argc; i++, nobj++)
		run_object(argv[i], &corpus);
	/* Entries for objects that were not given at all are stale too. */
	for (size_t e = 0; e < NELEM(expect_unsupported); e++) {
		bool seen = false;
		size_t d;
		int j;

		if (!expect_unsupported[e].object)
			continue;
		for (d = 0; d < e; d++)
			if (!strcmp(expect_unsupported[d].object,
				    expect_unsupported[e].object))
				break;
		if (d < e)
			continue;

		for (j = 1; j < argc; j++) {
			char b[128];

			if (!strcmp(obj_base(argv[j], b, sizeof(b)),
				    expect_unsupported[e].object))
				seen = true;
		}
		if (!seen) {
			printf("note: expect_unsupported names %s, which was "
			       "not given\n",
			       expect_unsupported[e].object);
		}
	}
	rmdir(pin_root);
	kd_corpus_free(&corpus);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("kdiff: %u objects (%u skipped), %u XDP programs, %lu packets "
	       "run, %lu compared, %lu mismatches, %lu refused by the kernel "
	       "(run on libuebpf alone), %lu past the linear area (not run), "
	       "%lu map comparisons, %lu ring buffer bytes compared, "
	       "%u stale table entries, %u other failures; %.1f s\n",
	       tot.objects, tot.objects_skipped, tot.progs, tot.packets,
	       tot.compared, tot.mismatches, tot.deferred, tot.frags,
	       tot.map_dumps, tot.ring_bytes, tot.stale, tot.failures,
	       (double)(t1.tv_sec - t0.tv_sec) +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (int e = 0; e < NENG; e++) {
		if (!eng_on[e]) {
			printf("kdiff engine %s: %s\n", eng_name[e],
			       eng_skip[e] ? eng_skip[e]
					   : "not run (--engine)");
			continue;
		}
		printf("kdiff engine %s: %u XDP programs, %lu packets "
		       "compared with the kernel, %lu mismatches, %lu map "
		       "comparisons, %lu ring buffer bytes compared, %lu runs "
		       "of packets the kernel refused, %u failures\n",
		       eng_name[e], etot[e].progs, etot[e].compared,
		       etot[e].mismatches, etot[e].map_dumps,
		       etot[e].ring_bytes, etot[e].refused_runs,
		       etot[e].failures);
	}
	if (!nobj)
		return 2;
	return tot.mismatches || tot.stale || tot.failures ? 1 : 0;
}
