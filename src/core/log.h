/* log.h - one line per event on stderr, with level and subsystem.
 *
 * Format: "<level> <subsys>: message". Levels follow syslog order. Client
 * supplied strings must go through log_escape() before they are printed so
 * a hostile file name cannot forge log lines or terminal escapes.
 *
 * Owns: the log line format. Must not touch: what is logged.
 */
#ifndef PINETBOOT_CORE_LOG_H
#define PINETBOOT_CORE_LOG_H

#include <stddef.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG, LOG_LVL_MAX };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* "error" "warn" "info" "debug" -> level; -1 if unknown. */
int log_level_parse(const char *s);
/* Prefix every line with a wall-clock timestamp (off by default: journald adds one). */
void log_set_timestamps(int on);
/* 1 when stderr is journald's stream (JOURNAL_STREAM matches fd 2): lines
 * then start with an sd-daemon "<N>" priority and carry no timestamp. */
int log_to_journal(void);

/* A command's own error message, as given (fmt ends with "\n"), at error
 * priority when stderr is journald's: `journalctl -p err` shows it. */
void log_plain_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void log_msg(enum log_level lvl, const char *subsys, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(sub, ...) log_msg(LOG_LVL_ERROR, sub, __VA_ARGS__)
#define log_warn(sub, ...) log_msg(LOG_LVL_WARN, sub, __VA_ARGS__)
#define log_info(sub, ...) log_msg(LOG_LVL_INFO, sub, __VA_ARGS__)
#define log_debug(sub, ...)                                    \
	do {                                                   \
		if (log_get_level() >= LOG_LVL_DEBUG)          \
			log_msg(LOG_LVL_DEBUG, sub, __VA_ARGS__); \
	} while (0)

/* Copy untrusted bytes into dst as printable ASCII (\xNN for the rest),
 * always NUL-terminated, truncated with "..." if needed. Returns dst. */
char *log_escape(char *dst, size_t dstlen, const void *src, size_t srclen);

#endif
