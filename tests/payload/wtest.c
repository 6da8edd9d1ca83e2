/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wtest: the container side of ward's integration tests.  A static
 * multi-call binary, so tests need no distribution image: each subcommand
 * observes one property from inside the container and prints it.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *errname(int e)
{
	switch (e) {
	case 0:
		return "OK";
	case EPERM:
		return "EPERM";
	case ENOENT:
		return "ENOENT";
	case EACCES:
		return "EACCES";
	case EROFS:
		return "EROFS";
	case ENOSYS:
		return "ENOSYS";
	case EINVAL:
		return "EINVAL";
	case EBADF:
		return "EBADF";
	case EFAULT:
		return "EFAULT";
	case ETXTBSY:
		return "ETXTBSY";
	case EEXIST:
		return "EEXIST";
	case ENOTDIR:
		return "ENOTDIR";
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case ENETUNREACH:
		return "ENETUNREACH";
	case EHOSTUNREACH:
		return "EHOSTUNREACH";
	case EAGAIN:
		return "EAGAIN";
	case ENOMEM:
		return "ENOMEM";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	default: {
		static char buf[32];
		snprintf(buf, sizeof(buf), "E%d", e);
		return buf;
	}
	}
}

static int cmd_pid(int argc, char **argv)
{
	printf("%d\n", (int)getpid());
	return 0;
}

static int cmd_ps(int argc, char **argv)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return 1;
	while ((de = readdir(d)))
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
			printf("%s\n", de->d_name);
	closedir(d);
	return 0;
}

static int cmd_hostname(int argc, char **argv)
{
	char h[256];
	gethostname(h, sizeof(h));
	printf("%s\n", h);
	return 0;
}

static int cmd_cat(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");
		char buf[4096];
		size_t n;
		if (!f) {
			printf("%s: %s\n", argv[i], errname(errno));
			continue;
		}
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, stdout);
		fclose(f);
	}
	return 0;
}

/* read PATH...: "PATH OK" or "PATH ERRNO" */
static int cmd_read(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY | O_NONBLOCK);
		char c;
		int e = 0;
		if (fd < 0)
			e = errno;
		else {
			ssize_t n = read(fd, &c, 1);
			if (n < 0)
				e = errno;
			else if (n == 0)
				e = -1;
			close(fd);
		}
		printf("%s %s\n", argv[i], e == -1 ? "EMPTY" : errname(e));
	}
	return 0;
}

/* write PATH...: try to create a file in each directory (or open a file
 * for writing): "PATH OK" or "PATH ERRNO" */
static int cmd_write(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int e = 0;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			char p[PATH_MAX];
			snprintf(p, sizeof(p), "%s/.wtest-%d", argv[i], (int)getpid());
			int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
			if (fd < 0)
				e = errno;
			else {
				close(fd);
				unlink(p);
			}
		} else {
			int fd = open(argv[i], O_WRONLY);
			if (fd < 0)
				e = errno;
			else
				close(fd);
		}
		printf("%s %s\n", argv[i], errname(e));
	}
	return 0;
}

/* rw-mounts: every mount point that is writable */
static int cmd_rw_mounts(int argc, char **argv)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096];

	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f)) {
		char mp[PATH_MAX], opts[512];
		struct statvfs sv;
		if (sscanf(line, "%*s %*s %*s %*s %4095s %511s", mp, opts) != 2)
			continue;
		if (statvfs(mp, &sv) == 0 && !(sv.f_flag & ST_RDONLY))
			printf("%s\n", mp);
	}
	fclose(f);
	return 0;
}

static int cmd_status(int argc, char **argv)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[512];

	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f))
		for (int i = 1; i < argc; i++)
			if (strncmp(line, argv[i], strlen(argv[i])) == 0 &&
			    line[strlen(argv[i])] == ':')
				fputs(line, stdout);
	fclose(f);
	return 0;
}

static long probe(const char *name)
{
	errno = 0;
	if (!strcmp(name, "kexec_load"))
		return syscall(SYS_kexec_load, 0, 0, NULL, 0);
	if (!strcmp(name, "init_module"))
		return syscall(SYS_init_module, NULL, 0, "");
	if (!strcmp(name, "finit_module"))
		return syscall(SYS_finit_module, -1, "", 0);
	if (!strcmp(name, "delete_module"))
		return syscall(SYS_delete_module, "", 0);
	if (!strcmp(name, "open_by_handle_at"))
		return syscall(SYS_open_by_handle_at, -1, NULL, 0);
	if (!strcmp(name, "bpf"))
		return syscall(SYS_bpf, -1, NULL, 0);
	if (!strcmp(name, "perf_event_open"))
		return syscall(SYS_perf_event_open, NULL, -1, -1, -1, 0);
	if (!strcmp(name, "keyctl"))
		return syscall(SYS_keyctl, -1, 0, 0, 0, 0);
	if (!strcmp(name, "add_key"))
		return syscall(SYS_add_key, NULL, NULL, NULL, 0, 0);
	if (!strcmp(name, "request_key"))
		return syscall(SYS_request_key, NULL, NULL, NULL, 0);
	if (!strcmp(name, "userfaultfd"))
		return syscall(SYS_userfaultfd, -1);
	if (!strcmp(name, "mount"))
		return syscall(SYS_mount, NULL, NULL, NULL, 0, NULL);
	if (!strcmp(name, "umount2"))
		return syscall(SYS_umount2, "", 0);
	if (!strcmp(name, "pivot_root"))
		return syscall(SYS_pivot_root, "", "");
	if (!strcmp(name, "swapon"))
		return syscall(SYS_swapon, "", 0);
	if (!strcmp(name, "reboot"))
		return syscall(SYS_reboot, 0, 0, 0, NULL);
	if (!strcmp(name, "unshare_user"))
		return syscall(SYS_unshare, CLONE_NEWUSER | CLONE_NEWNS);
	if (!strcmp(name, "unshare_net"))
		return syscall(SYS_unshare, CLONE_NEWNET);
	if (!strcmp(name, "setns"))
		return syscall(SYS_setns, -1, 0);
	if (!strcmp(name, "clone3"))
		return syscall(435, NULL, 0);
	if (!strcmp(name, "syslog"))
		return syscall(SYS_syslog, 3, NULL, 0);
	if (!strcmp(name, "iopl"))
		return syscall(SYS_iopl, 4);
	if (!strcmp(name, "settimeofday"))
		return syscall(SYS_settimeofday, NULL, NULL);
	if (!strcmp(name, "io_uring_setup"))
		return syscall(425, 0, NULL);
	if (!strcmp(name, "unknown"))
		return syscall(1023, 0, 0, 0);
	if (!strcmp(name, "getpid"))
		return syscall(SYS_getpid);
	if (!strcmp(name, "mknod"))
		return syscall(SYS_mknodat, AT_FDCWD, "/tmp/.wtest-node", S_IFCHR | 0600, 0x0103);
	if (!strcmp(name, "raw_socket"))
		return socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	errno = EINVAL;
	return -2;
}

/* syscall NAME...: "NAME ERRNO" (OK when it succeeded) */
static int cmd_syscall(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		long r = probe(argv[i]);
		printf("%s %s\n", argv[i], r >= 0 ? "OK" : errname(errno));
	}
	return 0;
}

static int cmd_hog(int argc, char **argv)
{
	long mb = argc > 1 ? atol(argv[1]) : 1024;

	for (long i = 0; i < mb; i++) {
		char *p =
		    mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			printf("mmap failed at %ld MB\n", i);
			return 3;
		}
		memset(p, 0x5a, 1 << 20);
	}
	printf("allocated %ld MB\n", mb);
	return 0;
}

/* forks N children that sleep; prints how many forks succeeded */
static int cmd_forks(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100, ok = 0;
	pid_t *kids = calloc((size_t)n, sizeof(pid_t));

	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p < 0)
			break;
		kids[ok++] = p;
	}
	printf("forked %d\n", ok);
	fflush(stdout);
	for (int i = 0; i < ok; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	return 0;
}

static int cmd_cpus(int argc, char **argv)
{
	cpu_set_t set;
	int first = 1;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 1;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set)) {
			printf("%s%d", first ? "" : ",", i);
			first = 0;
		}
	printf("\n");
	return 0;
}

static volatile sig_atomic_t got[65];

static void on_signal(int sig)
{
	got[sig] = 1;
	char msg[32];
	int n = snprintf(msg, sizeof(msg), "got %d\n", sig);
	if (write(1, msg, (size_t)n) < 0)
		_exit(9);
	if (sig == SIGTERM)
		_exit(0);
}

/* signals: handle common signals, print each, exit 0 on SIGTERM */
static int cmd_signals(int argc, char **argv)
{
	int sigs[] = {SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGTERM};
	struct sigaction sa = {.sa_handler = on_signal};

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
	return 0;
}

static int cmd_sleep(int argc, char **argv)
{
	double s = argc > 1 ? atof(argv[1]) : 3600;
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return 0;
}

/* zombies N: leave N orphans that exit; after a pause, count zombies */
static int cmd_zombies(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3, z = 0;
	DIR *d;
	struct dirent *de;

	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) {
			if (fork() == 0) {
				usleep(50000);
				_exit(0); /* orphaned: reparented to PID 1 */
			}
			_exit(0);
		}
		waitpid(p, NULL, 0);
	}
	usleep(400000);
	d = opendir("/proc");
	while (d && (de = readdir(d))) {
		char p[300], buf[512];
		FILE *f;
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(p, sizeof(p), "/proc/%s/stat", de->d_name);
		f = fopen(p, "r");
		if (f && fgets(buf, sizeof(buf), f)) {
			char *rp = strrchr(buf, ')');
			if (rp && rp[2] == 'Z')
				z++;
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	printf("zombies %d\n", z);
	return 0;
}

static int cmd_fds(int argc, char **argv)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int self = d ? dirfd(d) : -1;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || atoi(de->d_name) == self)
			continue;
		char p[300], t[PATH_MAX];
		snprintf(p, sizeof(p), "/proc/self/fd/%s", de->d_name);
		ssize_t n = readlink(p, t, sizeof(t) - 1);
		t[n > 0 ? n : 0] = '\0';
		printf("%s %s\n", de->d_name, t);
	}
	if (d)
		closedir(d);
	return 0;
}

static int cmd_cwd(int argc, char **argv)
{
	char buf[PATH_MAX];
	printf("%s\n", getcwd(buf, sizeof(buf)) ? buf : errname(errno));
	return 0;
}

static int cmd_stat(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0)
			printf("%s %s\n", argv[i], errname(errno));
		else
			printf("%s %lu:%lu uid=%u gid=%u mode=%o\n", argv[i],
			       (unsigned long)st.st_dev, (unsigned long)st.st_ino, st.st_uid,
			       st.st_gid, st.st_mode & 07777);
	}
	return 0;
}

/* exe-write PID: try to get write access to /proc/PID/exe the way the
 * CVE-2019-5736 exploit does (O_PATH, then reopen through /proc/self/fd) */
static int cmd_exe_write(int argc, char **argv)
{
	char p[64], q[64];
	int pfd, wfd;

	snprintf(p, sizeof(p), "/proc/%s/exe", argc > 1 ? argv[1] : "self");
	pfd = open(p, O_PATH);
	if (pfd < 0) {
		printf("open %s\n", errname(errno));
		return 0;
	}
	snprintf(q, sizeof(q), "/proc/self/fd/%d", pfd);
	wfd = open(q, O_WRONLY);
	if (wfd < 0) {
		printf("reopen %s\n", errname(errno));
		return 0;
	}
	if (write(wfd, "", 0) < 0 || write(wfd, "x", 1) < 0) {
		printf("write %s\n", errname(errno));
		return 0;
	}
	printf("write OK\n");
	return 0;
}

static int cmd_kmsg(int argc, char **argv)
{
	char buf[64];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	printf("/dev/kmsg %s\n", fd < 0 ? errname(errno) : "OK");
	if (fd >= 0)
		close(fd);
	printf("syslog %s\n", klogctl(3, buf, sizeof(buf)) < 0 ? errname(errno) : "OK");
	return 0;
}

/* tiocsti: try to push a character into the input of our stdin terminal */
static int cmd_tiocsti(int argc, char **argv)
{
	char c = '#';
	printf("tiocsti %s\n", ioctl(0, TIOCSTI, &c) < 0 ? errname(errno) : "OK");
	return 0;
}

static int cmd_exit(int argc, char **argv)
{
	return argc > 1 ? atoi(argv[1]) : 0;
}

static int cmd_raise(int argc, char **argv)
{
	int sig = argc > 1 ? atoi(argv[1]) : SIGKILL;
	signal(sig, SIG_DFL);
	kill(getpid(), sig);
	pause();
	return 0;
}

static int cmd_ifaces(int argc, char **argv)
{
	struct if_nameindex *ifs = if_nameindex(), *i;

	for (i = ifs; i && i->if_name; i++) {
		struct ifreq ifr = {0};
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->if_name);
		ioctl(fd, SIOCGIFFLAGS, &ifr);
		printf("%s %s\n", i->if_name, (ifr.ifr_flags & IFF_UP) ? "up" : "down");
		close(fd);
	}
	if_freenameindex(ifs);
	return 0;
}

/* connect ADDR PORT [TIMEOUT_MS]: exit 0 when a TCP connection succeeds;
 * prints OK or the errno name */
static int cmd_connect(int argc, char **argv)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int timeout = argc > 3 ? atoi(argv[3]) : 2000;
	int fd, r;

	if (argc < 3)
		return 2;
	if (strchr(argv[1], ':')) {
		struct sockaddr_in6 *a = (void *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)atoi(argv[2]));
		inet_pton(AF_INET6, argv[1], &a->sin6_addr);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (void *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)atoi(argv[2]));
		inet_pton(AF_INET, argv[1], &a->sin_addr);
		len = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	r = connect(fd, (struct sockaddr *)&ss, len);
	if (r < 0 && errno == EINPROGRESS) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int e = 0;
		socklen_t el = sizeof(e);
		if (poll(&p, 1, timeout) <= 0) {
			printf("ETIMEDOUT\n");
			return 1;
		}
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
		errno = e;
		r = e ? -1 : 0;
	}
	printf("%s\n", r == 0 ? "OK" : errname(errno));
	return r == 0 ? 0 : 1;
}

/* fetch ADDR PORT [TIMEOUT_MS]: connect and print the first line the
 * server sends ("ERR <errno>" when the connection fails) */
static int cmd_fetch(int argc, char **argv)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int timeout = argc > 3 ? atoi(argv[3]) : 2000;
	char buf[512];
	ssize_t n;
	int fd;

	if (argc < 3)
		return 2;
	if (strchr(argv[1], ':')) {
		struct sockaddr_in6 *a = (void *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)atoi(argv[2]));
		inet_pton(AF_INET6, argv[1], &a->sin6_addr);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (void *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)atoi(argv[2]));
		inet_pton(AF_INET, argv[1], &a->sin_addr);
		len = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	{
		struct timeval tv = {timeout / 1000, (timeout % 1000) * 1000};
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		printf("ERR %s\n", errname(errno == EINPROGRESS ? ETIMEDOUT : errno));
		return 1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0) {
		printf("ERR %s\n", n < 0 ? errname(errno) : "EOF");
		return 1;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	printf("%s\n", buf);
	return 0;
}

/* garp IFNAME IPV4: broadcast a gratuitous ARP reply claiming IPV4 for
 * this interface's MAC (what an attacker does to steal a neighbour's
 * traffic); prints "sent" or the errno */
static int cmd_garp(int argc, char **argv)
{
	struct ifreq ifr = {0};
	struct sockaddr_ll sll = {0};
	unsigned char frame[42];
	struct in_addr ip;
	int fd;

	if (argc < 3 || inet_pton(AF_INET, argv[2], &ip) != 1)
		return 2;
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ARP));
	if (fd < 0) {
		printf("socket %s\n", errname(errno));
		return 1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0 || ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		printf("ioctl %s\n", errname(errno));
		return 1;
	}
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifr.ifr_ifindex;
	sll.sll_halen = 6;
	memset(sll.sll_addr, 0xff, 6);
	memset(frame, 0xff, 6); /* to everyone */
	ioctl(fd, SIOCGIFHWADDR, &ifr);
	memcpy(frame + 6, ifr.ifr_hwaddr.sa_data, 6); /* from our MAC */
	frame[12] = 0x08, frame[13] = 0x06;           /* ARP */
	frame[14] = 0, frame[15] = 1, frame[16] = 8, frame[17] = 0, frame[18] = 6, frame[19] = 4;
	frame[20] = 0, frame[21] = 2;                  /* reply */
	memcpy(frame + 22, ifr.ifr_hwaddr.sa_data, 6); /* sender MAC: ours */
	memcpy(frame + 28, &ip, 4);                    /* sender IP: claimed */
	memset(frame + 32, 0xff, 6);
	memcpy(frame + 38, &ip, 4);
	for (int i = 0; i < 3; i++)
		if (sendto(fd, frame, sizeof(frame), 0, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
			printf("sendto %s\n", errname(errno));
			return 1;
		}
	printf("sent\n");
	return 0;
}

/* serve PORT TEXT: answer every TCP connection with "TEXT from PEER" */
static int cmd_serve(int argc, char **argv)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0), one = 1, zero = 0;
	struct sockaddr_in6 a = {.sin6_family = AF_INET6};

	if (argc < 3)
		return 2;
	a.sin6_port = htons((uint16_t)atoi(argv[1]));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0) {
		printf("bind %s\n", errname(errno));
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		struct sockaddr_in6 peer;
		socklen_t plen = sizeof(peer);
		char reply[512], pa[INET6_ADDRSTRLEN] = "?";
		int c = accept(fd, (struct sockaddr *)&peer, &plen);
		const char *pas;

		if (c < 0)
			continue;
		inet_ntop(AF_INET6, &peer.sin6_addr, pa, sizeof(pa));
		/* v4-mapped peers are shown as plain IPv4 */
		pas = strncmp(pa, "::ffff:", 7) == 0 ? pa + 7 : pa;
		snprintf(reply, sizeof(reply), "%s from %s\n", argv[2], pas);
		if (write(c, reply, strlen(reply)) < 0) {
		}
		close(c);
	}
	return 0;
}

/* nosys NR[,NR...] -- PROGRAM ARGS: run PROGRAM with those system calls
 * failing with ENOSYS, as on an older kernel (tests ward's fallbacks) */
static int cmd_nosys(int argc, char **argv)
{
	struct sock_filter f[64];
	unsigned n = 0;
	char *save = NULL;

	if (argc < 4 || strcmp(argv[2], "--") != 0)
		return 2;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	for (char *t = strtok_r(argv[1], ",", &save); t && n < 60; t = strtok_r(NULL, ",", &save)) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)atoi(t),
						      0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		perror("seccomp");
		return 2;
	}
	execv(argv[3], argv + 3);
	perror("exec");
	return 2;
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
} cmds[] = {
    {"nosys", cmd_nosys},     {"pid", cmd_pid},
    {"ps", cmd_ps},           {"hostname", cmd_hostname},
    {"cat", cmd_cat},         {"read", cmd_read},
    {"write", cmd_write},     {"rw-mounts", cmd_rw_mounts},
    {"status", cmd_status},   {"syscall", cmd_syscall},
    {"hog", cmd_hog},         {"forks", cmd_forks},
    {"cpus", cmd_cpus},       {"signals", cmd_signals},
    {"sleep", cmd_sleep},     {"zombies", cmd_zombies},
    {"fds", cmd_fds},         {"cwd", cmd_cwd},
    {"stat", cmd_stat},       {"exe-write", cmd_exe_write},
    {"kmsg", cmd_kmsg},       {"exit", cmd_exit},
    {"raise", cmd_raise},     {"ifaces", cmd_ifaces},
    {"connect", cmd_connect}, {"serve", cmd_serve},
    {"fetch", cmd_fetch},     {"garp", cmd_garp},
    {"tiocsti", cmd_tiocsti},
};

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	/* called as wtest SUBCMD ... or through a link named after SUBCMD */
	if (strcmp(base, "wtest") == 0) {
		argc--;
		argv++;
		if (argc < 1) {
			fprintf(stderr, "usage: wtest SUBCOMMAND [ARGS]\n");
			return 2;
		}
		base = argv[0];
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, base) == 0)
			return cmds[i].fn(argc, argv);
	fprintf(stderr, "wtest: unknown subcommand %s\n", base);
	return 2;
}
