/* log.c - stderr logger. Lines are built in a stack buffer and written with
 * one write(2) so concurrent processes do not interleave halves of lines. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static enum log_level cur_level = LOG_LVL_INFO;
static int with_time;
static int journal = -1; /* -1: not checked yet */

/* sd-daemon(3) priority prefixes: journald reads "<N>" at the start of a
 * line on a stream it owns and stores the line at that priority. */
static const char *const prio[LOG_LVL_MAX] = {
	[LOG_LVL_ERROR] = "<3>",
	[LOG_LVL_WARN] = "<4>",
	[LOG_LVL_INFO] = "<6>",
	[LOG_LVL_DEBUG] = "<7>",
};

/* Is stderr journald's stream? systemd sets JOURNAL_STREAM=DEV:INO to the
 * stream it connected (systemd.exec(5)); compare with our fd 2. */
static int stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

int log_to_journal(void)
{
	if (journal < 0)
		journal = stderr_is_journal();
	return journal;
}

static const char *const level_names[LOG_LVL_MAX] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARN] = "warn",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

void log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}

enum log_level log_get_level(void)
{
	return cur_level;
}

void log_set_timestamps(int on)
{
	with_time = on;
}

int log_level_parse(const char *s)
{
	for (int i = 0; i < LOG_LVL_MAX; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

void log_msg(enum log_level lvl, const char *subsys, const char *fmt, ...)
{
	if (lvl > cur_level)
		return;
	char line[1024];
	size_t n = 0;
	if (log_to_journal()) {
		/* journald timestamps every line itself. */
		memcpy(line, prio[lvl], 3);
		n = 3;
	} else if (with_time) {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		n += strftime(line, sizeof(line), "%H:%M:%S", &tm);
		n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ld ", ts.tv_nsec / 1000000);
	}
	int k = snprintf(line + n, sizeof(line) - n, "%s %s: ", level_names[lvl], subsys);
	if (k > 0)
		n += (size_t)k;
	if (n < sizeof(line)) {
		va_list ap;
		va_start(ap, fmt);
		k = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		va_end(ap);
		if (k > 0)
			n += (size_t)k;
	}
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* stderr is line oriented; a failed log write must never stop the daemon. */
	ssize_t w = write(STDERR_FILENO, line, n);
	(void)w;
}

void log_plain_error(const char *fmt, ...)
{
	char line[1024];
	size_t n = 0;
	if (log_to_journal()) {
		memcpy(line, prio[LOG_LVL_ERROR], 3);
		n = 3;
	}
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (k > 0)
		n += (size_t)k;
	if (n > sizeof(line) - 1)
		n = sizeof(line) - 1;
	ssize_t w = write(STDERR_FILENO, line, n);
	(void)w;
}

char *log_escape(char *dst, size_t dstlen, const void *src, size_t srclen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = src;
	size_t o = 0;
	if (dstlen == 0)
		return dst;
	for (size_t i = 0; i < srclen; i++) {
		unsigned char c = s[i];
		size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;
		if (o + need + 4 > dstlen) {
			if (dstlen >= 4) {
				o = o < dstlen - 4 ? o : dstlen - 4;
				memcpy(dst + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (need == 1) {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o < dstlen ? o : dstlen - 1] = '\0';
	return dst;
}
