// SPDX-License-Identifier: MIT
/*
 * goruntime.c - the Go runtime's data layouts and names, per release
 * (amd64).  Offsets of runtime.g, m, sudog and hchan fields come from
 * each release's DWARF; the wait-reason and status strings from each
 * release's runtime.waitReasonStrings and gStatusStrings (runtime2.go,
 * traceback.go).  A binary with .symtab gives its own wait reasons
 * (gobinary.c), which then win over these tables.
 */
#include "go/gobinary.h"

/*
 * Wait reasons, indexed by g.waitreason.  Releases insert and reorder
 * entries (1.20 names the sync waits, which 1.19 calls "semacquire";
 * 1.24 inserts "sync.WaitGroup.Wait", 1.25 "GOMAXPROCS updater (idle)",
 * 1.26 moves the channel reasons), so each has its own table.  A patch
 * release may append one: go1.23.0 has 37, go1.23.12 (and its table
 * here) 38, "GC weak to strong wait".
 */
static const char *const waitreasons_1_19[] = {
	"", "GC assist marking", "IO wait", "chan receive (nil chan)",
	"chan send (nil chan)", "dumping heap", "garbage collection",
	"garbage collection scan", "panicwait", "select", "select (no cases)",
	"GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive",
	"chan send", "finalizer wait", "force gc (idle)", "semacquire", "sleep",
	"sync.Cond.Wait", "timer goroutine (idle)", "trace reader (blocked)",
	"wait for GC cycle", "GC worker (idle)", "preempted", "debug call",
};
static const char *const waitreasons_1_21[] = {
	"", "GC assist marking", "IO wait", "chan receive (nil chan)",
	"chan send (nil chan)", "dumping heap", "garbage collection",
	"garbage collection scan", "panicwait", "select", "select (no cases)",
	"GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive",
	"chan send", "finalizer wait", "force gc (idle)", "semacquire", "sleep",
	"sync.Cond.Wait", "sync.Mutex.Lock", "sync.RWMutex.RLock",
	"sync.RWMutex.Lock", "trace reader (blocked)", "wait for GC cycle",
	"GC worker (idle)", "GC worker (active)", "preempted", "debug call",
	"GC mark termination", "stopping the world",
};
static const char *const waitreasons_1_22[] = {
	"", "GC assist marking", "IO wait", "chan receive (nil chan)",
	"chan send (nil chan)", "dumping heap", "garbage collection",
	"garbage collection scan", "panicwait", "select", "select (no cases)",
	"GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive",
	"chan send", "finalizer wait", "force gc (idle)", "semacquire", "sleep",
	"sync.Cond.Wait", "sync.Mutex.Lock", "sync.RWMutex.RLock",
	"sync.RWMutex.Lock", "trace reader (blocked)", "wait for GC cycle",
	"GC worker (idle)", "GC worker (active)", "preempted", "debug call",
	"GC mark termination", "stopping the world", "flushing proc caches",
	"trace goroutine status", "trace proc status", "page trace flush",
	"coroutine",
};
static const char *const waitreasons_1_23[] = {
	"", "GC assist marking", "IO wait", "chan receive (nil chan)",
	"chan send (nil chan)", "dumping heap", "garbage collection",
	"garbage collection scan", "panicwait", "select", "select (no cases)",
	"GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive",
	"chan send", "finalizer wait", "force gc (idle)", "semacquire", "sleep",
	"sync.Cond.Wait", "sync.Mutex.Lock", "sync.RWMutex.RLock",
	"sync.RWMutex.Lock", "trace reader (blocked)", "wait for GC cycle",
	"GC worker (idle)", "GC worker (active)", "preempted", "debug call",
	"GC mark termination", "stopping the world", "flushing proc caches",
	"trace goroutine status", "trace proc status", "page trace flush",
	"coroutine", "GC weak to strong wait",
};
static const char *const waitreasons_1_24[] = {
	"", "GC assist marking", "IO wait", "chan receive (nil chan)",
	"chan send (nil chan)", "dumping heap", "garbage collection",
	"garbage collection scan", "panicwait", "select", "select (no cases)",
	"GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive",
	"chan send", "finalizer wait", "force gc (idle)", "semacquire", "sleep",
	"sync.Cond.Wait", "sync.Mutex.Lock", "sync.RWMutex.RLock",
	"sync.RWMutex.Lock", "sync.WaitGroup.Wait", "trace reader (blocked)",
	"wait for GC cycle", "GC worker (idle)", "GC worker (active)", "preempted",
	"debug call", "GC mark termination", "stopping the world",
	"flushing proc caches", "trace goroutine status", "trace proc status",
	"page trace flush", "coroutine", "GC weak to strong wait", "synctest.Run",
	"synctest.Wait", "chan receive (synctest)", "chan send (synctest)",
	"select (synctest)",
};
static const char *const waitreasons_1_25[] = {
	"", "GC assist marking", "IO wait", "chan receive (nil chan)",
	"chan send (nil chan)", "dumping heap", "garbage collection",
	"garbage collection scan", "panicwait", "select", "select (no cases)",
	"GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive",
	"chan send", "finalizer wait", "force gc (idle)", "GOMAXPROCS updater (idle)",
	"semacquire", "sleep", "sync.Cond.Wait", "sync.Mutex.Lock",
	"sync.RWMutex.RLock", "sync.RWMutex.Lock", "sync.WaitGroup.Wait",
	"trace reader (blocked)", "wait for GC cycle", "GC worker (idle)",
	"GC worker (active)", "preempted", "debug call", "GC mark termination",
	"stopping the world", "flushing proc caches", "trace goroutine status",
	"trace proc status", "page trace flush", "coroutine",
	"GC weak to strong wait", "synctest.Run", "synctest.Wait",
	"chan receive (durable)", "chan send (durable)", "select (durable)",
	"sync.WaitGroup.Wait (durable)", "cleanup wait",
};
static const char *const waitreasons_1_26[] = {
	"", "GC assist marking", "IO wait", "dumping heap", "garbage collection",
	"garbage collection scan", "panicwait", "GC assist wait", "GC sweep wait",
	"GC scavenge wait", "finalizer wait", "force gc (idle)",
	"GOMAXPROCS updater (idle)", "semacquire", "sleep", "chan receive (nil chan)",
	"chan send (nil chan)", "select (no cases)", "select", "chan receive",
	"chan send", "sync.Cond.Wait", "sync.Mutex.Lock", "sync.RWMutex.RLock",
	"sync.RWMutex.Lock", "sync.WaitGroup.Wait", "trace reader (blocked)",
	"wait for GC cycle", "GC worker (idle)", "GC worker (active)", "preempted",
	"debug call", "GC mark termination", "stopping the world",
	"flushing proc caches", "trace goroutine status", "trace proc status",
	"page trace flush", "coroutine", "GC weak to strong wait", "synctest.Run",
	"synctest.Wait", "chan receive (durable)", "chan send (durable)",
	"select (durable)", "sync.WaitGroup.Wait (durable)", "cleanup wait",
};

static const char *const statuses[] = {
	"idle", "runnable", "running", "syscall", "waiting", "", "dead", "",
	"copystack", "preempted", "leaked", "waiting for cgo callback",
};

#define WR(v) .waitreasons = waitreasons_1_##v, \
	.nwaitreasons = CLEAK__ARRAY_SIZE(waitreasons_1_##v)

static const struct cleak__golayout layouts[] = {
	{
		/* 1.19: no g.parentGoid ("created by" names no goroutine) */
		.minor = 19, .flags = CLEAK__GO_OLD_TRACEBACK | CLEAK__GO_MAIN_SELECT_LEAKS,
		.g_size = 392, .g_m = 48, .g_sched = 56,
		.g_syscallsp = 112, .g_syscallpc = 120, .g_atomicstatus = 144,
		.g_goid = 152, .g_waitsince = 168, .g_waitreason = 176,
		.g_lockedm = 232, .g_parentgoid = 0, .g_gopc = 296,
		.g_startpc = 312, .g_waiting = 328, .m_procid = 72,
		.sudog_size = 88, .sudog_c = 80, .sudog_waitlink = 64,
		.hchan_elemtype = 32, .md_text = 176, .md_etext = 184,
		.md_types = 280, .md_etypes = 288, .md_gofunc = 304,
		.funcid_wrapper = 21, WR(19), .nstatuses = 10,
	},
	{
		/* 1.20: the same g; moduledata gains covctrs before types */
		.minor = 20, .flags = CLEAK__GO_OLD_TRACEBACK | CLEAK__GO_PCLNTAB_120 |
			CLEAK__GO_MAIN_SELECT_LEAKS,
		.g_size = 392, .g_m = 48, .g_sched = 56,
		.g_syscallsp = 112, .g_syscallpc = 120, .g_atomicstatus = 144,
		.g_goid = 152, .g_waitsince = 168, .g_waitreason = 176,
		.g_lockedm = 232, .g_parentgoid = 0, .g_gopc = 296,
		.g_startpc = 312, .g_waiting = 328, .m_procid = 72,
		.sudog_size = 88, .sudog_c = 80, .sudog_waitlink = 64,
		.hchan_elemtype = 32, .md_text = 176, .md_etext = 184,
		.md_types = 296, .md_etypes = 304, .md_gofunc = 320,
		.funcid_wrapper = 21, WR(21), .nstatuses = 10,
	},
	{
		.minor = 21, .flags = CLEAK__GO_PCLNTAB_120 | CLEAK__GO_MAIN_SELECT_LEAKS,
		.g_size = 408, .g_m = 48, .g_sched = 56,
		.g_syscallsp = 112, .g_syscallpc = 120, .g_atomicstatus = 144,
		.g_goid = 152, .g_waitsince = 168, .g_waitreason = 176,
		.g_lockedm = 208, .g_parentgoid = 272, .g_gopc = 280,
		.g_startpc = 296, .g_waiting = 312, .m_procid = 72,
		.sudog_size = 88, .sudog_c = 80, .sudog_waitlink = 64,
		.hchan_elemtype = 32, .md_text = 176, .md_etext = 184,
		.md_types = 296, .md_etypes = 304, .md_gofunc = 320,
		.funcid_wrapper = 21, WR(21), .nstatuses = 10,
	},
	{
		.minor = 22, .flags = CLEAK__GO_PCLNTAB_120 | CLEAK__GO_MAIN_SELECT_LEAKS,
		.g_size = 424, .g_m = 48, .g_sched = 56,
		.g_syscallsp = 112, .g_syscallpc = 120, .g_atomicstatus = 144,
		.g_goid = 152, .g_waitsince = 168, .g_waitreason = 176,
		.g_lockedm = 208, .g_parentgoid = 272, .g_gopc = 280,
		.g_startpc = 296, .g_waiting = 312, .m_procid = 72,
		.sudog_size = 88, .sudog_c = 80, .sudog_waitlink = 64,
		.hchan_elemtype = 32, .md_text = 176, .md_etext = 184,
		.md_types = 296, .md_etypes = 304, .md_gofunc = 320,
		.funcid_wrapper = 22, WR(22), .nstatuses = 10,
	},
	{
		/* 1.23: g.syscallbp moves later fields by 8; hchan gains a timer */
		.minor = 23, .flags = CLEAK__GO_PCLNTAB_120 | CLEAK__GO_EXPORTED_RUNTIME_123 |
			CLEAK__GO_MAIN_SELECT_LEAKS,
		.g_size = 432, .g_m = 48, .g_sched = 56,
		.g_syscallsp = 112, .g_syscallpc = 120, .g_atomicstatus = 152,
		.g_goid = 160, .g_waitsince = 176, .g_waitreason = 184,
		.g_lockedm = 216, .g_parentgoid = 280, .g_gopc = 288,
		.g_startpc = 304, .g_waiting = 320, .m_procid = 72,
		.sudog_size = 88, .sudog_c = 80, .sudog_waitlink = 64,
		.hchan_elemtype = 40, .md_text = 176, .md_etext = 184,
		.md_types = 296, .md_etypes = 304, .md_gofunc = 320,
		.funcid_wrapper = 22, WR(23), .nstatuses = 10,
	},
	{
		.minor = 24, .flags = CLEAK__GO_PCLNTAB_120 | CLEAK__GO_EXPORTED_RUNTIME_123 |
			CLEAK__GO_MAIN_SELECT_LEAKS,
		.g_size = 440, .g_m = 48, .g_sched = 56,
		.g_syscallsp = 112, .g_syscallpc = 120, .g_atomicstatus = 152,
		.g_goid = 160, .g_waitsince = 176, .g_waitreason = 184,
		.g_lockedm = 216, .g_parentgoid = 280, .g_gopc = 288,
		.g_startpc = 304, .g_waiting = 320, .m_procid = 72,
		.sudog_size = 88, .sudog_c = 80, .sudog_waitlink = 64,
		.hchan_elemtype = 40, .md_text = 176, .md_etext = 184,
		.md_types = 296, .md_etypes = 304, .md_gofunc = 320,
		.funcid_wrapper = 22, WR(24), .nstatuses = 10,
	},
	{
		/* 1.25: gobuf.ret is gone, so everything after sched moves back 8 */
		.minor = 25, .flags = CLEAK__GO_PCLNTAB_120 | CLEAK__GO_EXPORTED_RUNTIME_123 |
			CLEAK__GO_SHOWS_FINALIZERS | CLEAK__GO_MAIN_SELECT_LEAKS,
		.g_size = 440, .g_m = 48, .g_sched = 56,
		.g_syscallsp = 104, .g_syscallpc = 112, .g_atomicstatus = 144,
		.g_goid = 152, .g_waitsince = 168, .g_waitreason = 176,
		.g_lockedm = 208, .g_parentgoid = 272, .g_gopc = 280,
		.g_startpc = 296, .g_waiting = 312, .m_procid = 64,
		.sudog_size = 88, .sudog_c = 80, .sudog_waitlink = 64,
		.hchan_elemtype = 40, .md_text = 176, .md_etext = 184,
		.md_types = 296, .md_etypes = 304, .md_gofunc = 320,
		.funcid_wrapper = 23, WR(25), .nstatuses = 10,
	},
	{
		/* 1.26: sudog pointers become {vp, vu} pairs; read the vu half,
		 * which leak detection leaves alone */
		.minor = 26, .flags = CLEAK__GO_PCLNTAB_120 | CLEAK__GO_EXPORTED_RUNTIME_123 |
			CLEAK__GO_SHOWS_FINALIZERS | CLEAK__GO_MAIN_SELECT_LEAKS,
		.g_size = 456, .g_m = 48, .g_sched = 56,
		.g_syscallsp = 104, .g_syscallpc = 112, .g_atomicstatus = 144,
		.g_goid = 152, .g_waitsince = 168, .g_waitreason = 176,
		.g_lockedm = 208, .g_parentgoid = 280, .g_gopc = 288,
		.g_startpc = 304, .g_waiting = 320, .m_procid = 64,
		.sudog_size = 104, .sudog_c = 96, .sudog_waitlink = 72,
		.hchan_elemtype = 40, .md_text = 176, .md_etext = 184,
		.md_types = 296, .md_etypes = 304, .md_gofunc = 320,
		.funcid_wrapper = 23, WR(26), .nstatuses = 12,
	},
	{
		/* 1.27: moduledata gains typedesclen, itaboffset and itabsize and
		 * loses typelinks and itablinks; g, m, sudog, hchan and the wait
		 * reasons are 1.26's.  main in select {} is not a leak. */
		.minor = 27, .flags = CLEAK__GO_PCLNTAB_120 | CLEAK__GO_EXPORTED_RUNTIME_123 |
			CLEAK__GO_SHOWS_FINALIZERS,
		.g_size = 456, .g_m = 48, .g_sched = 56,
		.g_syscallsp = 104, .g_syscallpc = 112, .g_atomicstatus = 144,
		.g_goid = 152, .g_waitsince = 168, .g_waitreason = 176,
		.g_lockedm = 208, .g_parentgoid = 280, .g_gopc = 288,
		.g_startpc = 304, .g_waiting = 320, .m_procid = 64,
		.sudog_size = 104, .sudog_c = 96, .sudog_waitlink = 72,
		.hchan_elemtype = 40, .md_text = 176, .md_etext = 184,
		.md_types = 296, .md_etypes = 312, .md_gofunc = 344,
		.funcid_wrapper = 23, WR(26), .nstatuses = 12,
	},
};

_Static_assert(CLEAK__ARRAY_SIZE(layouts) == CLEAK__GO_NEWEST - CLEAK__GO_OLDEST + 1,
	       "one row per release from CLEAK_GO_OLDEST to CLEAK_GO_NEWEST (cleak.h)");

const struct cleak__golayout *cleak__golayout_for(int minor)
{
	size_t i;

	for (i = 0; i < CLEAK__ARRAY_SIZE(layouts); i++)
		if (layouts[i].minor == minor)
			return &layouts[i];
	return NULL;
}

const struct cleak__golayout *cleak__golayout_newest(void)
{
	return &layouts[CLEAK__ARRAY_SIZE(layouts) - 1];
}

const char *cleak__gostatus_name(uint32_t status)
{
	return status < CLEAK__ARRAY_SIZE(statuses) ? statuses[status] : "???";
}
