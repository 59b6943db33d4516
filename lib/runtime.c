/* SPDX-License-Identifier: MIT */
/* The runtime: options, logging, CPU slots and the helper table. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

__thread unsigned int uebpf_this_cpu;

const char *uebpf_version(void)
{
#define STR_(x) #x
#define STR(x) STR_(x)
	return STR(UEBPF_VERSION_MAJOR) "." STR(UEBPF_VERSION_MINOR) "." STR(
		UEBPF_VERSION_PATCH);
#undef STR
#undef STR_
}

bool uebpf_opts_valid(struct uebpf_runtime *rt, const void *opts,
		      size_t known_sz, const char *type_name)
{
	const unsigned char *p = opts;
	size_t sz, i;

	if (!opts)
		return true;
	sz = *(const size_t *)opts;
	if (sz < sizeof(size_t)) {
		pr_warn(rt, "struct %s: sz is %zu, smaller than the sz field itself; declare it with UEBPF_OPTS()\n",
			type_name, sz);
		return false;
	}
	for (i = known_sz; i < sz; i++) {
		if (p[i]) {
			pr_warn(rt, "struct %s: byte %zu is non-zero, but this libuebpf %s knows only the first %zu bytes; upgrade the library or leave newer fields zero\n",
				type_name, i, uebpf_version(), known_sz);
			return false;
		}
	}
	return true;
}

void uebpf_log(const struct uebpf_runtime *rt, enum uebpf_log_level level,
	       const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (rt && (rt->log_quiet || level > rt->log_level))
		return;
	if (!rt && level > UEBPF_LOG_WARN)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (rt && rt->log_fn)
		rt->log_fn(level, msg, rt->log_ctx);
	else
		fprintf(stderr, "libuebpf: %s", msg);
}

void uebpf_vlog_printf(struct uebpf_vlog *log, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	if (!log)
		return;
	if (!log->first[0] && !log->tracing) {
		va_start(ap, fmt);
		vsnprintf(log->first, sizeof(log->first), fmt, ap);
		va_end(ap);
		log->first[strcspn(log->first, "\n")] = '\0';
	}
	if (!log->buf || !log->size || !log->level)
		return;
	room = log->size - log->len;
	if (room <= 1) {
		log->truncated = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(log->buf + log->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		log->len = log->size - 1;
		log->truncated = true;
	} else {
		log->len += n;
	}
}

/* UEBPF_ENGINE=interp|jit in the environment sets the default engine of
 * every runtime made afterwards, as a sysctl would (the kernel's
 * bpf_jit_enable). */
static enum uebpf_engine default_engine(struct uebpf_runtime *rt)
{
	const char *e = getenv("UEBPF_ENGINE");

	if (e && *e) {
		if (!strcmp(e, "interp"))
			return UEBPF_ENGINE_INTERP;
		if (!strcmp(e, "jit") && uebpf_jit_available())
			return UEBPF_ENGINE_JIT;
		pr_warn(rt, "UEBPF_ENGINE='%s' ignored: use 'interp' or 'jit'%s\n",
			e, uebpf_jit_available() ? "" :
			" (this build has no JIT)");
	}
	return uebpf_jit_available() ? UEBPF_ENGINE_JIT : UEBPF_ENGINE_INTERP;
}

struct uebpf_runtime *uebpf_runtime_new(const struct uebpf_runtime_opts *opts)
{
	struct uebpf_runtime *rt;
	long ncpu;

	rt = calloc(1, sizeof(*rt));
	if (!rt) {
		errno = ENOMEM;
		return NULL;
	}
	/* Logging first, so a complaint about opts reaches the host's log. */
	rt->log_fn = OPTS_GET(opts, log_fn, NULL);
	rt->log_ctx = OPTS_GET(opts, log_ctx, NULL);
	rt->log_level = OPTS_GET(opts, log_level, UEBPF_LOG_WARN);
	rt->log_quiet = OPTS_GET(opts, log_quiet, false);
	if (!OPTS_VALID(rt, opts, uebpf_runtime_opts, mem_limit)) {
		free(rt);
		errno = EINVAL;
		return NULL;
	}
	rt->mem_limit = OPTS_GET(opts, mem_limit, 0);
	rt->default_engine = default_engine(rt);
	rt->nr_cpus = OPTS_GET(opts, nr_cpus, 0);
	if (!rt->nr_cpus) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		rt->nr_cpus = ncpu > 0 ? (unsigned int)ncpu : 1;
	}
	if (rt->nr_cpus > 4096) {
		pr_warn(rt, "nr_cpus %u is larger than the limit of 4096 CPU slots\n",
			rt->nr_cpus);
		free(rt);
		errno = E2BIG;
		return NULL;
	}
	if (uebpf_epoch_init(&rt->epoch) ||
	    pthread_mutex_init(&rt->map_ids.lock, NULL) ||
	    pthread_mutex_init(&rt->prog_ids.lock, NULL) ||
	    pthread_mutex_init(&rt->pin_lock, NULL)) {
		free(rt);
		errno = ENOMEM;
		return NULL;
	}
	uebpf_helpers_init_builtin(rt);
	/* As the kernel's net_ratelimit(): 10 messages per 5 s. */
	rt->run_rl.interval_ns = 5000000000ull;
	rt->run_rl.burst = 10;
	return rt;
}

void uebpf_runtime_enable_stats(struct uebpf_runtime *rt, bool on)
{
	if (rt)
		atomic_store_explicit(&rt->stats_on, on, memory_order_relaxed);
}

void uebpf_run_warn(struct uebpf_runtime *rt, const char *fmt, ...)
{
	struct uebpf_ratelimit *rl = &rt->run_rl;
	uint64_t now = uebpf_now_ns();
	uint64_t begin = atomic_load_explicit(&rl->begin, memory_order_relaxed);
	unsigned int missed;
	char msg[512];
	va_list ap;

	if (rt->log_quiet)
		return;
	if (now - begin >= rl->interval_ns &&
	    atomic_compare_exchange_strong(&rl->begin, &begin, now)) {
		missed = atomic_exchange(&rl->missed, 0);
		atomic_store(&rl->printed, 0);
		if (missed)
			pr_warn(rt, "%u run warnings suppressed\n", missed);
	}
	if (atomic_fetch_add(&rl->printed, 1) >= rl->burst) {
		atomic_fetch_add(&rl->missed, 1);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn(rt, "%s", msg);
}

void uebpf_runtime_free(struct uebpf_runtime *rt)
{
	uint32_t i;

	if (!rt)
		return;
	/* Pinned maps are the runtime's own references. */
	uebpf_pins_free(rt);
	uebpf_helpers_fini(rt);
	/* Objects already put may wait for a grace period; nothing runs
	 * now, so free them before looking for what is still held. */
	uebpf_epoch_drain(&rt->epoch);
	for (i = 0; i < rt->map_ids.nr; i++)
		if (rt->map_ids.slots[i])
			pr_warn(rt, "uebpf_runtime_free: map id %u is still held; put every map reference first\n",
				i + 1);
	for (i = 0; i < rt->prog_ids.nr; i++)
		if (rt->prog_ids.slots[i])
			pr_warn(rt, "uebpf_runtime_free: program id %u is still held; free every program first\n",
				i + 1);
	uebpf_epoch_fini(&rt->epoch);
	free(rt->map_ids.slots);
	free(rt->prog_ids.slots);
	pthread_mutex_destroy(&rt->map_ids.lock);
	pthread_mutex_destroy(&rt->prog_ids.lock);
	pthread_mutex_destroy(&rt->pin_lock);
	free(rt);
}

int uebpf_idr_alloc(struct uebpf_idr *idr, void *obj, uint32_t *id)
{
	int err = 0;

	pthread_mutex_lock(&idr->lock);
	if (idr->nr == idr->cap) {
		uint32_t cap = idr->cap ? idr->cap * 2 : 16;
		void **slots = cap > idr->cap ?
				       realloc(idr->slots, cap * sizeof(*slots)) :
				       NULL;

		if (!slots) {
			err = -ENOSPC;
			goto out;
		}
		idr->slots = slots;
		idr->cap = cap;
	}
	idr->slots[idr->nr++] = obj;
	*id = idr->nr;
out:
	pthread_mutex_unlock(&idr->lock);
	return err;
}

void uebpf_idr_remove(struct uebpf_idr *idr, uint32_t id)
{
	pthread_mutex_lock(&idr->lock);
	if (id && id <= idr->nr)
		idr->slots[id - 1] = NULL;
	pthread_mutex_unlock(&idr->lock);
}

int uebpf_worker_bind(struct uebpf_runtime *rt, unsigned int cpu)
{
	if (!rt)
		return -EINVAL;
	if (cpu >= rt->nr_cpus) {
		pr_warn(rt, "uebpf_worker_bind: CPU slot %u does not exist: the runtime has %u (0 to %u)\n",
			cpu, rt->nr_cpus, rt->nr_cpus - 1);
		return -EINVAL;
	}
	uebpf_this_cpu = cpu;
	return 0;
}

unsigned int uebpf_worker_cpu(void)
{
	return uebpf_this_cpu;
}

unsigned int uebpf_runtime_nr_cpus(const struct uebpf_runtime *rt)
{
	return rt ? rt->nr_cpus : 0;
}

void uebpf_runtime_set_fib_lookup(struct uebpf_runtime *rt,
				  uebpf_fib_lookup_fn fn, void *ctx)
{
	if (!rt)
		return;
	rt->fib_lookup_ctx = ctx;
	rt->fib_lookup_fn = fn;
}

void uebpf_runtime_set_mtu(struct uebpf_runtime *rt, uebpf_mtu_fn fn,
			   void *ctx)
{
	if (!rt)
		return;
	rt->mtu_ctx = ctx;
	rt->mtu_fn = fn;
}
