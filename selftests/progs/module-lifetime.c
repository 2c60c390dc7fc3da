// SPDX-License-Identifier: GPL-2.0
/*
 * module-lifetime: unload test_hmm and test_devmap while processes still
 * use them, and reload them, round after round.
 *
 * A driver must stay loaded while a file of its device is open (the file's
 * fops owner holds a module reference), and must go cleanly once the last
 * one is closed, even when a process still maps pages it had moved to the
 * device: with the series, each test_hmm chunk of device memory lives in a
 * devres group whose release first migrates the live pages back to system
 * memory, and removing the device at unload releases the groups. Repeating
 * load and unload shows what an unload leaves behind (a memory region, a
 * sysfs directory, a reference) when the next load trips over it.
 *
 * Each round loads both modules and forks two children, which the parent
 * drives step by step over pipes:
 *   A opens /dev/hmm_dmirror0 (device-private), moves 64 pages of a pattern
 *     to the device with HMM_DMIRROR_MIGRATE_TO_DEV and waits; told to, it
 *     closes the file but keeps the mapping; after the unload it reads the
 *     pages back and exits 0 only if the pattern is intact;
 *   B opens /dev/test_devmap and holds a FOLL_PIN on half of its own pages
 *     and a FOLL_GET on the other half until it closes the file.
 * While the files are open, unloading either module must fail and leave it
 * loaded. Once A has closed its file, test_hmm must unload and leave neither
 * /sys/module/test_hmm nor an hmm_dmirror region in /proc/iomem, and A's
 * data must be intact. Once B has closed its file (which drops its holds),
 * test_devmap must unload and B must exit cleanly.
 *
 * Closing a dmirror file already evicts every chunk of that device, so A's
 * pages are normally back in system memory before the unload; A reports,
 * from /proc/self/pagemap, how many are still on the device when it closes.
 *
 * The parent waits for a child's answer at most 30 s and for modprobe at
 * most 120 s, so that a hang is a failure rather than a stuck guest: a
 * child that does not answer is killed, and the checks that needed it are
 * "not ok" with a "# not run:" reason. A modprobe that hangs, a module that
 * cannot be loaded or unloaded between rounds, or a missing device node is
 * a "Bail out!". The modules are left unloaded at the end.
 *
 * Output is kselftest TAP on stdout (kselftest.h): 12 "ok"/"not ok" lines
 * per round, with "# " lines for each command run, its output and each
 * failure. Exit status 0 if every check passed, 1 otherwise, 2 on bad
 * arguments.
 *
 * Environment: MODPROBE, the modprobe command ("modprobe -d DIR" for a
 * kernel under test; default "modprobe"), and HMM_MODULE_ARGS, extra
 * test_hmm parameters (such as spm_addr_dev0=... spm_addr_dev1=...).
 *
 * Build against the kernel under test:
 * gcc -O2 -I$KSRC/lib -I$KSRC/tools/testing/selftests -o ... this.c
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "test_hmm_uapi.h"
#include "test_devmap_uapi.h"
#include "progs.h"

#define HMM_DEV			"/dev/hmm_dmirror0"	/* device-private */
#define DEVMAP_DEV		"/dev/test_devmap"
#define HMM_PAGES		64	/* child A's pages, moved to the device */
#define DEVMAP_PAGES		16	/* child B's: half pinned, half got */
#define MAX_ROUNDS		1000

#define REPLY_MS		30000	/* a child answers a command */
#define EXIT_MS			30000	/* a child exits once it said it would */
#define GRACE_MS		1000	/* a child given up on exits by itself */
#define KILL_MS			5000	/* a killed process is reaped */
#define MODPROBE_MS		120000	/* test_hmm sets up 512+ MiB of ZONE_DEVICE */

/* Commands to a child, one byte each; it answers each with one line. */
#define CMD_CLOSE		'c'	/* close the device file */
#define CMD_CHECK		'v'	/* A: check the data, then exit */

_Static_assert(MAX_ROUNDS < (1 << 15) && HMM_PAGES < (1 << 16),
	       "pattern() keeps rounds in 15 bits and pages in 16");

enum check {
	HMM_READY,
	DEVMAP_READY,
	HMM_REFUSED,
	HMM_KEPT,
	DEVMAP_REFUSED,
	DEVMAP_KEPT,
	HMM_UNLOADED,
	HMM_SYSFS_GONE,
	HMM_IOMEM_GONE,
	HMM_DATA,
	DEVMAP_UNLOADED,
	DEVMAP_EXITED,
	NR_CHECKS
};

static const char *const check_desc[NR_CHECKS] = {
	[HMM_READY]	  = "dmirror child moved its pages to device memory",
	[DEVMAP_READY]	  = "devmap child holds a pin and a get on its pages",
	[HMM_REFUSED]	  = "test_hmm unload refused while a dmirror fd is open",
	[HMM_KEPT]	  = "test_hmm still loaded after the refused unload",
	[DEVMAP_REFUSED]  = "test_devmap unload refused while a test_devmap fd is open",
	[DEVMAP_KEPT]	  = "test_devmap still loaded after the refused unload",
	[HMM_UNLOADED]	  = "test_hmm unloads once the dmirror fd is closed, pages still mapped",
	[HMM_SYSFS_GONE]  = "/sys/module/test_hmm is gone after the unload",
	[HMM_IOMEM_GONE]  = "no hmm_dmirror region left in /proc/iomem after the unload",
	[HMM_DATA]	  = "the data moved to the device is intact after test_hmm is gone",
	[DEVMAP_UNLOADED] = "test_devmap unloads once the test_devmap fd is closed",
	[DEVMAP_EXITED]	  = "devmap child exits cleanly after closing its fd",
};

struct module {
	const char *name;
	const char *dev;	/* its device node, which a child opens */
	const char *args;	/* parameters to load it with */
};

static struct module test_hmm = {
	.name = "test_hmm", .dev = HMM_DEV, .args = "",
};

static struct module test_devmap = {
	.name = "test_devmap", .dev = DEVMAP_DEV, .args = "",
};

static struct module *const modules[] = { &test_hmm, &test_devmap };

/* A child as the parent sees it. */
struct child {
	const char *name;
	pid_t pid;		/* 0 once it ended, or was ended */
	int status;		/* its wait status, once reaped */
	int cmd;		/* write end of the pipe of commands to it */
	int reply;		/* read end of the pipe of its answers */
	char why[384];		/* what went wrong, once it was given up on */
};

static struct child hmm_child = { .name = "dmirror child", .cmd = -1, .reply = -1 };
static struct child devmap_child = { .name = "devmap child", .cmd = -1, .reply = -1 };
static struct child *const children[] = { &hmm_child, &devmap_child };

static const char *modprobe_cmd = "modprobe";
static long page_size;
static bool bailing;		/* in bail_out(): clean up only once */
static bool modprobe_stuck;	/* one did not finish: do not run another */

__attribute__((format(printf, 1, 2), noreturn))
static void bail_out(const char *fmt, ...);

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * ---- TAP output ----
 *
 * kselftest.h's, line-buffered (ksft_print_header()): a line is out
 * before the next fork, so a child has no copy of it to print again, and
 * complete up to the last line if we are killed.
 */

/* A command's output, indented under the "# $ command" line. */
static void diag_output(const char *out)
{
	const char *end;

	while (*out) {
		end = strchrnul(out, '\n');
		ksft_print_msg("  %.*s\n", (int)(end - out), out);
		out = *end ? end + 1 : end;
	}
}

static void report(int round, enum check c, bool ok)
{
	/* The plan counts NR_CHECKS lines per round, in enum order. */
	assert(ksft_test_num() % NR_CHECKS == c);
	ksft_test_result(ok, "round %d: %s\n", round, check_desc[c]);
}

/* A check whose setup failed: not ok, with what went wrong. */
static void not_run(int round, enum check c, const char *why)
{
	ksft_print_msg("not run: %s\n", why);
	report(round, c, false);
}

static const char *describe_status(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "was killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "ended with wait status %#x", status);
	return buf;
}

/* ---- Waiting with a deadline ---- */

/* Wait for @fd to be readable (or at EOF): 1; 0 at @deadline; -1 on error. */
static int wait_readable(int fd, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	long long left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n >= 0 || errno != EINTR)
			return n;
	}
}

/* Reap @pid by @deadline: 0, its wait status in *@status; -1 if not. */
static int wait_pid(pid_t pid, int *status, long long deadline)
{
	pid_t got;

	for (;;) {
		got = waitpid(pid, status, WNOHANG);
		if (got == pid)
			return 0;
		if (got < 0 && errno != EINTR)
			return -1;
		if (now_ms() >= deadline)
			return -1;
		sleep_us(10000);
	}
}

/*
 * Read one line from @fd into @buf, without its newline, by @deadline: 1;
 * 0 at the deadline; -1 at EOF or on error. A byte at a time, so that
 * nothing after the line is consumed.
 */
static int read_line(int fd, char *buf, size_t size, long long deadline)
{
	size_t len = 0;
	ssize_t n;
	int ret;

	while (len < size - 1) {
		ret = wait_readable(fd, deadline);
		if (ret <= 0)
			return ret;
		n = read(fd, buf + len, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		if (buf[len] == '\n')
			break;
		len++;
	}
	buf[len] = '\0';
	return 1;
}

/* ---- Modules ---- */

/*
 * Run @cmd with sh -c in a process group of its own, its stdout and stderr
 * collected in @out. Its wait status; -1 if it could not be started;
 * -ETIMEDOUT if it did not finish within MODPROBE_MS (it is killed then,
 * which does not help if it is stuck in the kernel).
 */
static int run_cmd(const char *cmd, char *out, size_t size)
{
	long long deadline = now_ms() + MODPROBE_MS;
	int p[2], status, ret;
	char chunk[512];
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (!pid) {
		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	close(p[1]);

	/* Up to EOF: then everything the command started is done with it. */
	while ((ret = wait_readable(p[0], deadline)) > 0) {
		n = read(p[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((size_t)n > size - 1 - len)
			n = size - 1 - len;
		memcpy(out + len, chunk, n);
		len += n;
		out[len] = '\0';
	}
	close(p[0]);
	if (ret == 0 || wait_pid(pid, &status, deadline)) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);	/* in case setpgid() failed */
		wait_pid(pid, &status, now_ms() + KILL_MS);
		return -ETIMEDOUT;
	}
	return status;
}

/*
 * "$MODPROBE NAME ARGS" or "$MODPROBE -r NAME": its exit status, or -1 if
 * it did not exit. The command and its output are diagnostics: for a
 * refused unload, the output says why ("in use").
 */
static int modprobe(const struct module *m, bool unload)
{
	char cmd[1024], out[2048], how[80];
	int len, status;

	if (unload)
		len = snprintf(cmd, sizeof(cmd), "%s -r %s", modprobe_cmd, m->name);
	else
		len = snprintf(cmd, sizeof(cmd), "%s %s%s%s", modprobe_cmd,
			       m->name, *m->args ? " " : "", m->args);
	if (len >= (int)sizeof(cmd))
		bail_out("MODPROBE and HMM_MODULE_ARGS make a command too long");

	ksft_print_msg("$ %s\n", cmd);
	status = run_cmd(cmd, out, sizeof(out));
	diag_output(out);
	if (status == -ETIMEDOUT) {
		modprobe_stuck = true;
		bail_out("'%s' did not finish within %d s", cmd, MODPROBE_MS / 1000);
	}
	if (status == -1) {
		ksft_print_msg("cannot run /bin/sh: %s\n", strerror(errno));
		return -1;
	}
	if (!WIFEXITED(status)) {
		ksft_print_msg("modprobe %s\n",
			       describe_status(status, how, sizeof(how)));
		return -1;
	}
	if (WEXITSTATUS(status))
		ksft_print_msg("exit status %d\n", WEXITSTATUS(status));
	return WEXITSTATUS(status);
}

static bool module_loaded(const struct module *m)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/module/%s", m->name);
	return !access(path, F_OK);
}

/* Unload @m if it is loaded; bail out if it stays: rounds start without. */
static void unload_leftover(const struct module *m)
{
	if (!module_loaded(m))
		return;
	ksft_print_msg("%s is loaded: unloading it\n", m->name);
	modprobe(m, true);
	if (module_loaded(m))
		bail_out("cannot unload %s", m->name);
}

/* Load both modules; bail out unless both are there with their nodes. */
static void load_modules(int round)
{
	const struct module *m;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(modules); i++) {
		m = modules[i];
		if (modprobe(m, false))
			bail_out("round %d: cannot load %s", round, m->name);
		if (access(m->dev, F_OK))
			bail_out("round %d: %s is loaded but %s is missing: %s",
				 round, m->name, m->dev, strerror(errno));
	}
}

/* hmm_dmirror regions in /proc/iomem (test_hmm's device-private memory). */
static int iomem_regions(void)
{
	char line[256];
	int n = 0;
	FILE *f;

	f = fopen("/proc/iomem", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "hmm_dmirror"))
			n++;
	fclose(f);
	return n;
}

/* ---- The children's side ---- */

/*
 * A child answers each step with one line, "ok TEXT" or "fail TEXT", in
 * one write of less than PIPE_BUF bytes, so the parent never sees half of
 * one. Children end with _exit() only: they share the parent's unflushed
 * stdio buffers, and print nothing themselves.
 */
static void vanswer(int fd, bool ok, const char *fmt, va_list ap)
{
	char line[256];
	int len;

	len = snprintf(line, sizeof(line), "%s ", ok ? "ok" : "fail");
	len += vsnprintf(line + len, sizeof(line) - len - 1, fmt, ap);
	if (len > (int)sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	if (write(fd, line, len) != len)
		_exit(1);
}

__attribute__((format(printf, 2, 3)))
static void answer(int fd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vanswer(fd, true, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3), noreturn))
static void fail_exit(int fd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vanswer(fd, false, fmt, ap);
	va_end(ap);
	_exit(1);
}

/* Wait for the parent's next command, which must be @want. */
static void expect(int in, int out, char want)
{
	ssize_t n;
	char cmd;

	do
		n = read(in, &cmd, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(1);	/* the parent is gone, or gave up on us */
	if (cmd != want)
		fail_exit(out, "got command '%c', expected '%c'", cmd, want);
}

/* Word @word of page @page in round @round: never 0, never repeated. */
static uint64_t pattern(int round, unsigned long page, unsigned long word)
{
	return 1ULL << 63 | (uint64_t)round << 48 | (uint64_t)page << 32 | word;
}

static void fill(uint64_t *buf, int round)
{
	unsigned long words = page_size / sizeof(*buf), pg, i;

	for (pg = 0; pg < HMM_PAGES; pg++)
		for (i = 0; i < words; i++)
			buf[pg * words + i] = pattern(round, pg, i);
}

/* Pages of @buf that lost the pattern; the first difference in @where. */
static int count_changed(const uint64_t *buf, int round, char *where,
			 size_t size)
{
	unsigned long words = page_size / sizeof(*buf), pg, i;
	uint64_t want, got;
	int changed = 0;

	for (pg = 0; pg < HMM_PAGES; pg++) {
		for (i = 0; i < words; i++) {
			want = pattern(round, pg, i);
			got = buf[pg * words + i];
			if (got == want)
				continue;
			if (!changed)
				snprintf(where, size,
					 "page %lu word %lu: %#llx, expected %#llx",
					 pg, i, (unsigned long long)got,
					 (unsigned long long)want);
			changed++;
			break;
		}
	}
	return changed;
}

/*
 * Pages of @buf that are still on the device, or -1. /proc/self/pagemap
 * shows a device-private entry as a swap entry (PM_SWAP, bit 62), and
 * reading it does not fault the page back.
 */
static int pages_on_device(const void *buf)
{
	uint64_t entries[HMM_PAGES];
	off_t off = (uintptr_t)buf / page_size * sizeof(entries[0]);
	int fd, i, n = 0;
	ssize_t len;

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return -1;
	len = pread(fd, entries, sizeof(entries), off);
	close(fd);
	if (len != (ssize_t)sizeof(entries))
		return -1;
	for (i = 0; i < HMM_PAGES; i++)
		n += entries[i] >> 62 & 1;
	return n;
}

/* Child A: data on the device, still mapped when test_hmm goes. */
static void hmm_child_main(int round, int in, int out)
{
	size_t size = HMM_PAGES * page_size;
	char where[128];
	uint64_t *buf;
	void *mirror;
	int fd, changed;
	long moved;

	fd = open(HMM_DEV, O_RDWR);
	if (fd < 0)
		fail_exit(out, "open %s: %s", HMM_DEV, strerror(errno));
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mirror = malloc(size);
	if (buf == MAP_FAILED || !mirror)
		fail_exit(out, "no memory for %d pages", HMM_PAGES);
	fill(buf, round);
	/* test_hmm copies the data into the mirror too, as a device would. */
	moved = dmirror(fd, HMM_DMIRROR_MIGRATE_TO_DEV, buf, mirror, HMM_PAGES);
	if (moved < 0)
		fail_exit(out, "HMM_DMIRROR_MIGRATE_TO_DEV: %s", strerror(-moved));
	if (moved != HMM_PAGES)
		fail_exit(out, "HMM_DMIRROR_MIGRATE_TO_DEV moved %ld of %d pages",
			  moved, HMM_PAGES);
	answer(out, "moved %d pages to %s (pagemap: %d on the device)",
	       HMM_PAGES, HMM_DEV, pages_on_device(buf));

	/* Only the file holds test_hmm: drop it, keep the pages mapped. */
	expect(in, out, CMD_CLOSE);
	if (close(fd))
		fail_exit(out, "close %s: %s", HMM_DEV, strerror(errno));
	answer(out, "closed %s, pages still mapped (pagemap: %d of %d on the device)",
	       HMM_DEV, pages_on_device(buf), HMM_PAGES);

	/* test_hmm is gone: whatever was on the device must be back intact. */
	expect(in, out, CMD_CHECK);
	changed = count_changed(buf, round, where, sizeof(where));
	if (changed)
		fail_exit(out, "%d of %d pages changed, first at %s",
			  changed, HMM_PAGES, where);
	answer(out, "all %d pages intact", HMM_PAGES);
	_exit(0);
}

/* Child B: GUP references on its pages, held by its test_devmap file. */
static void devmap_child_main(int round, int in, int out)
{
	size_t size = DEVMAP_PAGES * page_size, half = size / 2;
	struct devmap_page_state pinned, got;
	char *buf;
	int fd;

	fd = open(DEVMAP_DEV, O_RDWR);
	if (fd < 0)
		fail_exit(out, "open %s: %s", DEVMAP_DEV, strerror(errno));
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		fail_exit(out, "mmap: %s", strerror(errno));
	memset(buf, round, size);	/* populated, as a DMA buffer would be */

	if (devmap_hold(fd, buf, DEVMAP_PAGES / 2,
			DEVMAP_HOLD_PIN | DEVMAP_HOLD_WRITE, NULL))
		fail_exit(out, "DEVMAP_IOC_HOLD (pin): %s", strerror(errno));
	if (devmap_hold(fd, buf + half, DEVMAP_PAGES / 2, DEVMAP_HOLD_WRITE,
			NULL))
		fail_exit(out, "DEVMAP_IOC_HOLD (get): %s", strerror(errno));

	/* See the references, so the unloads below are tested with them. */
	if (devmap_state(fd, buf, &pinned) ||
	    devmap_state(fd, buf + size - page_size, &got))
		fail_exit(out, "DEVMAP_IOC_PAGE_STATE: %s", strerror(errno));
	if (!pinned.maybe_dma_pinned || got.refcount < 2)
		fail_exit(out, "holds not seen: pinned page maybe_dma_pinned %u, got page refcount %lld",
			  pinned.maybe_dma_pinned, (long long)got.refcount);
	answer(out, "pinned %d pages and got %d", DEVMAP_PAGES / 2,
	       DEVMAP_PAGES / 2);

	/* Closing the file drops the holds and the module reference. */
	expect(in, out, CMD_CLOSE);
	if (close(fd))
		fail_exit(out, "close %s: %s", DEVMAP_DEV, strerror(errno));
	answer(out, "closed %s", DEVMAP_DEV);
	_exit(0);
}

/* ---- The parent's side of the children ---- */

typedef void (*child_main_t)(int round, int in, int out);

static void start_child(struct child *c, int round, child_main_t child_main)
{
	int to[2], from[2];
	size_t i;

	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC))
		bail_out("pipe: %s", strerror(errno));
	c->pid = fork();
	if (c->pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (!c->pid) {
		/* Only the parent holds the other ends: EOF means it is gone. */
		for (i = 0; i < ARRAY_SIZE(children); i++) {
			close_fd(&children[i]->cmd);
			close_fd(&children[i]->reply);
		}
		close(to[1]);
		close(from[0]);
		child_main(round, to[0], from[1]);
		_exit(1);
	}
	close(to[0]);
	close(from[1]);
	c->cmd = to[1];
	c->reply = from[0];
	c->status = 0;
	snprintf(c->why, sizeof(c->why), "%s is not running", c->name);
}

/*
 * End @c: closing its command pipe makes a child that waits for a command
 * exit; one that does not within GRACE_MS is killed.
 */
static void end_child(struct child *c)
{
	close_fd(&c->cmd);
	close_fd(&c->reply);
	if (c->pid <= 0)
		return;
	if (wait_pid(c->pid, &c->status, now_ms() + GRACE_MS)) {
		kill(c->pid, SIGKILL);
		if (wait_pid(c->pid, &c->status, now_ms() + KILL_MS)) {
			ksft_print_msg("%s (pid %d) cannot be reaped\n",
				       c->name, c->pid);
			c->status = W_EXITCODE(255, 0);
		}
	}
	c->pid = 0;
}

/*
 * Send @cmd to @c (none if 0) and wait for its answer, printed as a
 * diagnostic: true if it is "ok". Otherwise the child is ended, as it does
 * not follow the script any more, and c->why says what went wrong, for the
 * checks that needed it.
 */
static bool ask(struct child *c, char cmd)
{
	char line[256], how[80];
	const char *text;
	int ret;

	if (cmd && write(c->cmd, &cmd, 1) != 1) {
		snprintf(line, sizeof(line), "fail cannot send it a command: %s",
			 strerror(errno));
	} else {
		ret = read_line(c->reply, line, sizeof(line),
				now_ms() + REPLY_MS);
		if (ret == 0)
			snprintf(line, sizeof(line), "fail no answer within %d s",
				 REPLY_MS / 1000);
		else if (ret < 0)
			snprintf(line, sizeof(line), "fail no answer, its pipe closed");
	}
	if (!strncmp(line, "ok ", 3)) {
		ksft_print_msg("%s: %s\n", c->name, line + 3);
		return true;
	}

	text = strncmp(line, "fail ", 5) ? line : line + 5;
	end_child(c);
	snprintf(c->why, sizeof(c->why), "%s: %s; it %s", c->name, text,
		 describe_status(c->status, how, sizeof(how)));
	ksft_print_msg("%s\n", c->why);
	return false;
}

/* Reap @c, which said it would exit: true if it exited with status 0. */
static bool reap_child(struct child *c)
{
	char how[80];

	close_fd(&c->cmd);
	close_fd(&c->reply);
	if (wait_pid(c->pid, &c->status, now_ms() + EXIT_MS)) {
		ksft_print_msg("%s still running %d s after it said it would exit\n",
			       c->name, EXIT_MS / 1000);
		end_child(c);
		return false;
	}
	c->pid = 0;
	if (WIFEXITED(c->status) && !WEXITSTATUS(c->status))
		return true;
	ksft_print_msg("%s %s\n", c->name,
		       describe_status(c->status, how, sizeof(how)));
	return false;
}

/* Kill what is left of the children, unload what is left of the modules. */
static void cleanup(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(children); i++)
		end_child(children[i]);
	if (modprobe_stuck) {
		ksft_print_msg("not unloading anything: a modprobe is stuck\n");
		return;
	}
	for (i = 0; i < ARRAY_SIZE(modules); i++) {
		if (!module_loaded(modules[i]))
			continue;
		modprobe(modules[i], true);
		if (module_loaded(modules[i]))
			ksft_print_msg("%s is still loaded\n", modules[i]->name);
	}
}

/*
 * Clean up, then "Bail out!" with why: the cleanup's diagnostics come
 * first, as "Bail out!" ends the TAP. If the cleanup bails out too (a
 * modprobe that hangs), its reason is a diagnostic before the first one's.
 */
static void bail_out(const char *fmt, ...)
{
	static char why[1536];
	char msg[1536];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (bailing) {	/* from cleanup() below */
		ksft_print_msg("and while cleaning up: %s\n", msg);
		ksft_exit_fail_msg("%s\n", why);
	}
	bailing = true;
	snprintf(why, sizeof(why), "%s", msg);
	cleanup();
	ksft_exit_fail_msg("%s\n", why);
}

/* ---- The checks ---- */

static void check_ready(int round, struct child *c, enum check check)
{
	report(round, check, ask(c, 0));
}

/*
 * While @c has @m's device open, the file holds a reference on @m, so
 * unloading @m must fail and leave it loaded.
 */
static void check_refused(int round, const struct module *m, struct child *c,
			  enum check refused, enum check kept)
{
	bool loaded;
	int status;

	if (!c->pid) {
		not_run(round, refused, c->why);
		not_run(round, kept, c->why);
		return;
	}
	status = modprobe(m, true);
	if (!status)
		ksft_print_msg("%s unloaded while %s has %s open\n", m->name,
			       c->name, m->dev);
	report(round, refused, status > 0);

	loaded = module_loaded(m);
	if (!loaded)
		ksft_print_msg("/sys/module/%s is gone\n", m->name);
	report(round, kept, loaded);
}

/*
 * Once A has closed its file, nothing holds test_hmm, though A still maps
 * the pages it moved to the device: test_hmm must unload, and its sysfs
 * directory and device memory regions must go with it.
 */
static void check_hmm_unload(int round, int regions_loaded)
{
	bool gone;
	int regions;

	if (!hmm_child.pid || !ask(&hmm_child, CMD_CLOSE)) {
		not_run(round, HMM_UNLOADED, hmm_child.why);
		not_run(round, HMM_SYSFS_GONE, hmm_child.why);
		not_run(round, HMM_IOMEM_GONE, hmm_child.why);
		return;
	}
	report(round, HMM_UNLOADED, modprobe(&test_hmm, true) == 0);

	gone = !module_loaded(&test_hmm);
	if (!gone)
		ksft_print_msg("/sys/module/test_hmm still exists\n");
	report(round, HMM_SYSFS_GONE, gone);

	/* Seeing none now means something only if there were some before. */
	regions = iomem_regions();
	if (regions_loaded <= 0)
		ksft_print_msg("no hmm_dmirror region in /proc/iomem even while loaded (%d)\n",
			       regions_loaded);
	else if (regions)
		ksft_print_msg("hmm_dmirror regions in /proc/iomem: %d (%d while loaded)\n",
			       regions, regions_loaded);
	report(round, HMM_IOMEM_GONE, regions_loaded > 0 && regions == 0);
}

/* A reads back the pages test_hmm had, and exits 0 if they are intact. */
static void check_hmm_data(int round)
{
	if (!hmm_child.pid) {
		not_run(round, HMM_DATA, hmm_child.why);
		return;
	}
	if (module_loaded(&test_hmm)) {
		not_run(round, HMM_DATA, "test_hmm is still loaded");
		return;
	}
	report(round, HMM_DATA, ask(&hmm_child, CMD_CHECK) &&
	       reap_child(&hmm_child));
}

/* Once B has closed its file, its holds are gone and test_devmap goes. */
static void check_devmap_unload(int round)
{
	bool unloaded;

	if (!devmap_child.pid || !ask(&devmap_child, CMD_CLOSE)) {
		not_run(round, DEVMAP_UNLOADED, devmap_child.why);
		not_run(round, DEVMAP_EXITED, devmap_child.why);
		return;
	}
	unloaded = modprobe(&test_devmap, true) == 0;
	if (module_loaded(&test_devmap)) {
		ksft_print_msg("/sys/module/test_devmap still exists\n");
		unloaded = false;
	}
	report(round, DEVMAP_UNLOADED, unloaded);
	report(round, DEVMAP_EXITED, reap_child(&devmap_child));
}

static void run_round(int round)
{
	int regions;

	ksft_print_msg("round %d\n", round);
	load_modules(round);
	regions = iomem_regions();

	start_child(&hmm_child, round, hmm_child_main);
	check_ready(round, &hmm_child, HMM_READY);
	start_child(&devmap_child, round, devmap_child_main);
	check_ready(round, &devmap_child, DEVMAP_READY);

	check_refused(round, &test_hmm, &hmm_child, HMM_REFUSED, HMM_KEPT);
	check_refused(round, &test_devmap, &devmap_child, DEVMAP_REFUSED,
		      DEVMAP_KEPT);
	check_hmm_unload(round, regions);
	check_hmm_data(round);
	check_devmap_unload(round);

	/* After a failure: leave nothing for the next round to trip over. */
	end_child(&hmm_child);
	end_child(&devmap_child);
	unload_leftover(&test_hmm);
	unload_leftover(&test_devmap);
}

/* ---- Main ---- */

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-n ROUNDS]\n"
		"  ROUNDS  load/unload rounds, 1..%d (default 3)\n"
		"Environment:\n"
		"  MODPROBE         the modprobe command (default \"modprobe\"),\n"
		"                   e.g. \"modprobe -d DIR\" for a kernel under test\n"
		"  HMM_MODULE_ARGS  extra test_hmm parameters (default none)\n"
		"Needs root. Loads and unloads test_hmm and test_devmap, and leaves\n"
		"them unloaded.\n",
		prog, MAX_ROUNDS);
	exit(2);
}

int main(int argc, char **argv)
{
	long round, rounds = 3;
	const char *env;
	size_t i;
	int opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		switch (opt) {
		case 'n':
			if (!parse_long(optarg, 1, MAX_ROUNDS, &rounds))
				usage(argv[0]);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc)
		usage(argv[0]);

	env = getenv("MODPROBE");
	if (env && *env)
		modprobe_cmd = env;
	env = getenv("HMM_MODULE_ARGS");
	if (env)
		test_hmm.args = env;
	page_size = sysconf(_SC_PAGESIZE);
	/* A child that died must not take us with it when we write to it. */
	signal(SIGPIPE, SIG_IGN);

	ksft_print_header();
	ksft_set_plan(rounds * NR_CHECKS);
	ksft_print_msg("module-lifetime: %ld rounds, MODPROBE='%s', HMM_MODULE_ARGS='%s'\n",
		       rounds, modprobe_cmd, test_hmm.args);
	if (geteuid())
		bail_out("needs root: it loads and unloads modules");

	/* Each round starts from nothing loaded. */
	for (i = 0; i < ARRAY_SIZE(modules); i++)
		unload_leftover(modules[i]);
	for (round = 1; round <= rounds; round++)
		run_round(round);
	ksft_finished();
}
