/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/mounts.h"
#include "runtime/sync.h"
#include "runtime/tty.h"
#include "util/cleanup.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int tty_child_setup(int sync_fd, const struct ward_process *p, ward_err *err)
{
	_cleanup_close_ int master = -1;
	_cleanup_close_ int slave = -1;
	int unlock = 0;
	int r;

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return werr(err, errno, "open /dev/ptmx");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return werr(err, errno, "unlock pty");
	/* TIOCGPTPEER opens the slave through the master, never by a path
	 * someone else could have replaced */
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		int n;
		char path[64];
		if (ioctl(master, TIOCGPTN, &n) < 0)
			return werr(err, errno, "pty number");
		snprintf(path, sizeof(path), "/dev/pts/%d", n);
		slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (slave < 0)
			return werr(err, errno, "open %s", path);
	}
	if (p->console_width && p->console_height) {
		struct winsize ws = {.ws_row = (unsigned short)p->console_height,
				     .ws_col = (unsigned short)p->console_width};
		ioctl(slave, TIOCSWINSZ, &ws);
	}
	if (fchown(slave, p->uid, p->gid) < 0 && errno != EINVAL && errno != EPERM)
		return werr(err, errno, "chown pty");
	r = sync_send_fd(sync_fd, SYNC_PTY, master);
	if (r < 0)
		return werr(err, -r, "send pty to ward");
	r = fs_bind_console(slave, err);
	if (r < 0)
		return r;
	if (setsid() < 0)
		return werr(err, errno, "setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return werr(err, errno, "set controlling terminal");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return werr(err, errno, "pty stdio");
	return 0;
}

static struct termios saved;
static bool saved_valid;

bool tty_raw_enter(int fd)
{
	struct termios raw;

	if (!isatty(fd) || tcgetattr(fd, &saved) < 0)
		return false;
	saved_valid = true;
	raw = saved;
	cfmakeraw(&raw);
	tcsetattr(fd, TCSANOW, &raw);
	return true;
}

void tty_raw_leave(int fd)
{
	if (saved_valid)
		tcsetattr(fd, TCSANOW, &saved);
	saved_valid = false;
}

void tty_copy_winsize(int from, int master)
{
	struct winsize ws;

	if (ioctl(from, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
		ioctl(master, TIOCSWINSZ, &ws);
}
