/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ward-monitor: what stays behind for a started container.  `ward start`
 * creates the container (it is this process's child), then executes this
 * small static program in its place, handing over open descriptors:
 *
 *   3  the container's pidfd          6  the console's listening socket
 *   4  the state directory (flocked)  7  the console log (O_APPEND)
 *   5  the console pty master        8  the container's network namespace
 *
 * (5 and 8 may be closed).  It relays the console between the pty, the log
 * and `ward console` clients, and when the container exits it reaps it and
 * executes `WARD __teardown NAME STATUS`, which removes the network,
 * cgroup and state, keeping 4 (so the state stays locked until then) and 8.
 *
 * It links nothing but libc, statically: a running container costs one
 * process of a few hundred kilobytes here, not a full ward.  If it is
 * killed, the container dies with it (its parent-death signal), the lock on
 * the state directory goes, and `ward gc` cleans up.
 *
 * Console protocol (SOCK_SEQPACKET): a client sends 'd' + bytes (input) or
 * 'w' + struct winsize; the monitor sends 'd' + bytes (output).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define FD_PIDFD  3
#define FD_STATE  4
#define FD_MASTER 5
#define FD_LISTEN 6
#define FD_LOG    7
#define FD_NETNS  8

#define MAX_CLIENTS 8
#define LOG_CAP     (1 << 20) /* the log starts over past 1 MiB */

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int clients[MAX_CLIENTS];

static void log_write(const char *buf, size_t n)
{
	struct stat st;

	if (fstat(FD_LOG, &st) == 0 && st.st_size + (off_t)n > LOG_CAP)
		if (ftruncate(FD_LOG, 0) < 0)
			return;
	while (n > 0) {
		ssize_t w = write(FD_LOG, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= (size_t)w;
	}
}

static void to_clients(const char *buf, size_t n)
{
	char msg[1 + 4096];

	for (size_t off = 0; off < n;) {
		size_t len = n - off < sizeof(msg) - 1 ? n - off : sizeof(msg) - 1;
		msg[0] = 'd';
		memcpy(msg + 1, buf + off, len);
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (clients[i] >= 0 &&
			    send(clients[i], msg, len + 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
			    errno != EAGAIN) {
				close(clients[i]);
				clients[i] = -1;
			}
		off += len;
	}
}

/* Output of the container: to the log and every client.  0 at EOF. */
static int pump_master(int master)
{
	char buf[4096];
	ssize_t n = read(master, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 && (errno == EAGAIN || errno == EINTR) ? 1 : 0;
	log_write(buf, (size_t)n);
	to_clients(buf, (size_t)n);
	return 1;
}

static void from_client(int i, int master)
{
	char msg[1 + 4096];
	ssize_t n = recv(clients[i], msg, sizeof(msg), MSG_DONTWAIT);

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			close(clients[i]);
			clients[i] = -1;
		}
		return;
	}
	if (master < 0)
		return;
	if (msg[0] == 'd') {
		for (ssize_t off = 1; off < n;) {
			ssize_t w = write(master, msg + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += w;
		}
	} else if (msg[0] == 'w' && (size_t)n >= 1 + sizeof(struct winsize)) {
		struct winsize ws;
		memcpy(&ws, msg + 1, sizeof(ws));
		ioctl(master, TIOCSWINSZ, &ws);
	}
}

static void accept_client(void)
{
	int fd = accept4(FD_LISTEN, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i] < 0) {
			clients[i] = fd;
			return;
		}
	close(fd); /* full */
}

int main(int argc, char **argv)
{
	int master = fcntl(FD_MASTER, F_GETFD) >= 0 ? FD_MASTER : -1;
	int listen_fd = fcntl(FD_LISTEN, F_GETFD) >= 0 ? FD_LISTEN : -1;
	siginfo_t si;
	char status[16];
	sigset_t all;

	if (argc != 3) {
		fprintf(stderr, "ward-monitor: started by `ward start`, not by hand\n");
		return 2;
	}
	/* the container's own signals are sent through its pidfd: this
	 * process has nothing to do with SIGHUP, SIGINT or SIGTERM */
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	sigprocmask(SIG_BLOCK, &all, NULL);
	for (int i = 0; i < MAX_CLIENTS; i++)
		clients[i] = -1;
	if (master >= 0)
		fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	for (;;) {
		struct pollfd p[3 + MAX_CLIENTS];
		int r;

		p[0] = (struct pollfd){.fd = FD_PIDFD, .events = POLLIN};
		p[1] = (struct pollfd){.fd = master, .events = POLLIN};
		p[2] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
		for (int i = 0; i < MAX_CLIENTS; i++)
			p[3 + i] = (struct pollfd){.fd = clients[i], .events = POLLIN};
		r = poll(p, 3 + MAX_CLIENTS, -1);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		if (master >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !pump_master(master)) {
			close(master);
			master = -1; /* every process in the container closed it */
		}
		if (p[2].revents & POLLIN)
			accept_client();
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (p[3 + i].revents)
				from_client(i, master);
		if (p[0].revents & POLLIN)
			break;
	}
	while (master >= 0 && pump_master(master) > 0 && fcntl(master, F_GETFD) >= 0) {
		struct pollfd q = {.fd = master, .events = POLLIN};
		if (poll(&q, 1, 0) <= 0)
			break;
	}
	memset(&si, 0, sizeof(si));
	if (syscall(SYS_waitid, P_PIDFD, FD_PIDFD, &si, WEXITED, NULL) < 0)
		snprintf(status, sizeof(status), "unknown");
	else if (si.si_code == CLD_EXITED)
		snprintf(status, sizeof(status), "%d", si.si_status);
	else
		snprintf(status, sizeof(status), "%d", 128 + si.si_status);
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i] >= 0)
			close(clients[i]);
	/* the teardown keeps the state lock (4) and the namespace (8) */
	close(FD_PIDFD);
	if (master >= 0)
		close(master);
	if (listen_fd >= 0)
		close(listen_fd);
	close(FD_LOG);
	fcntl(FD_STATE, F_SETFD, 0);
	if (fcntl(FD_NETNS, F_GETFD) >= 0)
		fcntl(FD_NETNS, F_SETFD, 0);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	execv(argv[1], (char *[]){(char *)"ward", (char *)"__teardown", argv[2], status, NULL});
	fprintf(stderr, "ward-monitor: %s: exec %s: %s\n", argv[2], argv[1], strerror(errno));
	return 1;
}
