/* test_tftp_server.c - the TFTP socket shell without root: a real server on
 * 127.0.0.1 (ephemeral ports, the loopback interface), driven by the event
 * loop, and a client in the same loop. Checks what only the shell does:
 * requests on the listening socket and transfers on the data socket, the
 * timer that makes a transfer retransmit, the counters, ERROR answers to a
 * missing file, a write request and a stray packet, and a client's ERROR
 * ending a transfer. The protocol itself is test_tftp_xfer.c. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/ev.h"
#include "core/log.h"
#include "core/net.h"
#include "tftp/tftp_proto.h"
#include "tftp/tftp_server.h"

#define FILE_LEN 3000u
#define SAFETY_MS 10000u /* a hung exchange ends the loop (and fails the test) */

struct fix {
	char dir[64];
	int boot_fd, listen_fd, data_fd;
	struct net_ifaces ifs;
	struct ev_loop *loop;
	struct tftp_server *srv;
	uint8_t content[FILE_LEN];
};

/* The client's side of one exchange. */
struct client {
	struct fix *f;
	int fd;
	struct sockaddr_in tid;  /* the server's transfer port, once known */
	bool have_tid;
	uint16_t blksize, next;  /* expected DATA block */
	uint8_t got[2 * FILE_LEN];
	size_t got_len;
	unsigned data_pkts, drop;  /* drop: leave this many DATA unanswered */
	bool abort_after_oack;
	bool oack;
	struct tftp_opts oack_opts;
	bool finishing;          /* sent the probe ACK that ends the exchange */
	int err;                 /* ERROR code received, -1 none */
	bool done;
};

static int fix_setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	char path[128];
	assert_non_null(f);
	log_set_level(LOG_LVL_ERROR);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_tftp_server.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/boot", f->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	for (size_t i = 0; i < FILE_LEN; i++)
		f->content[i] = (uint8_t)(i * 7 + i / 256);
	snprintf(path, sizeof(path), "%s/boot/a.bin", f->dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, f->content, FILE_LEN), (ssize_t)FILE_LEN);
	close(fd);
	snprintf(path, sizeof(path), "%s/boot", f->dir);
	f->boot_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->boot_fd >= 0);

	uint32_t lo = htonl(INADDR_LOOPBACK);
	f->listen_fd = net_udp_socket(lo, 0, false);
	f->data_fd = net_udp_socket(lo, 0, false);
	assert_true(f->listen_fd >= 0 && f->data_fd >= 0);
	struct net_iface *ifc = &f->ifs.v[0];
	snprintf(ifc->name, sizeof(ifc->name), "lo");
	ifc->index = (int)if_nametoindex("lo");
	assert_true(ifc->index > 0);
	ifc->addr = lo;
	ifc->mask = htonl(0xff000000u);
	ifc->mtu = 1500;
	ifc->loopback = true;
	f->ifs.n = 1;

	struct tftp_limits lim = { .max_transfers = 100, .max_per_client = 10, .max_blksize = 1468,
				   .max_window = 64, .min_rto_ms = 200, .give_up_s = 5 };
	f->loop = ev_loop_new();
	assert_non_null(f->loop);
	f->srv = tftp_server_new(f->loop, f->listen_fd, f->data_fd, f->boot_fd, -1, &f->ifs, &lim,
				 NULL, NULL);
	assert_non_null(f->srv);
	*state = f;
	return 0;
}

static int fix_teardown(void **state)
{
	struct fix *f = *state;
	char cmd[160];
	tftp_server_free(f->srv);
	ev_loop_free(f->loop);
	close(f->listen_fd);
	close(f->data_fd);
	close(f->boot_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void send_to(int fd, const struct sockaddr_in *to, const uint8_t *buf, int len)
{
	assert_true(len > 0);
	assert_int_equal(sendto(fd, buf, (size_t)len, 0, (const struct sockaddr *)to, sizeof(*to)), len);
}

static void send_ack(struct client *c, uint16_t block)
{
	uint8_t buf[4];
	send_to(c->fd, &c->tid, buf, tftp_build_ack(buf, sizeof(buf), block));
}

/* End of an exchange: an ACK from the same port after the transfer is over
 * must get ERROR 5 (RFC 1350: unknown transfer ID). Since the server reads
 * a port's packets in order, that answer also says it has handled the
 * ACK or ERROR that ended the transfer. */
static void finish(struct client *c)
{
	c->finishing = true;
	send_ack(c, 0xffff);
}

static void on_data(struct client *c, const uint8_t *buf, size_t n)
{
	uint16_t block;
	const uint8_t *payload;
	size_t plen;
	assert_int_equal(tftp_parse_data(buf, n, &block, &payload, &plen), 0);
	c->data_pkts++;
	if (block != c->next || c->finishing)
		return; /* a retransmission of a block we already have */
	if (c->drop) {
		c->drop--;
		return; /* "lost": the server's timer must send it again */
	}
	assert_true(c->got_len + plen <= sizeof(c->got));
	memcpy(c->got + c->got_len, payload, plen);
	c->got_len += plen;
	send_ack(c, block);
	c->next++;
	if (plen < c->blksize)
		finish(c);
}

static void on_packet(struct client *c, const uint8_t *buf, size_t n, const struct sockaddr_in *from)
{
	uint16_t op = tftp_opcode(buf, n);
	if (op == TFTP_ERROR) {
		uint16_t code;
		char msg[128];
		assert_int_equal(tftp_parse_error(buf, n, &code, msg, sizeof(msg)), 0);
		c->err = code;
		c->done = true;
		return;
	}
	if (!c->have_tid) {
		c->tid = *from;
		c->have_tid = true;
	}
	if (op == TFTP_DATA) {
		on_data(c, buf, n);
	} else if (op == TFTP_OACK && !c->oack) {
		c->oack = true;
		assert_int_equal(tftp_parse_oack(buf, n, &c->oack_opts), 0);
		if (c->oack_opts.has_blksize)
			c->blksize = c->oack_opts.blksize;
		if (c->abort_after_oack) {
			uint8_t e[64];
			send_to(c->fd, &c->tid, e, tftp_build_error(e, sizeof(e), 0, "Early terminate"));
			finish(c);
		} else {
			send_ack(c, 0);
		}
	}
}

static void client_readable(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct client *c = arg;
	uint8_t buf[2048];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n;
	(void)events;
	while (!c->done && (n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl)) > 0) {
		on_packet(c, buf, (size_t)n, &from);
		fl = sizeof(from);
	}
	if (c->done)
		ev_loop_stop(loop);
}

static void safety(struct ev_loop *loop, void *arg)
{
	(void)arg;
	ev_loop_stop(loop);
}

/* Send a first packet to the server's listening port (or data port) and
 * run the loop until the exchange is over. */
static void run(struct fix *f, struct client *c, const uint8_t *pkt, int len, bool to_data_port)
{
	struct sockaddr_in to;
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons(net_local_port(to_data_port ? f->data_fd : f->listen_fd));
	c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(c->fd >= 0);
	assert_int_equal(ev_io_add(f->loop, c->fd, EV_READ, client_readable, c), 0);
	struct ev_timer *t = ev_timer_add(f->loop, SAFETY_MS, safety, NULL);
	send_to(c->fd, &to, pkt, len);
	ev_loop_run(f->loop);
	ev_timer_cancel(f->loop, c->done ? t : NULL);
	ev_io_del(f->loop, c->fd);
	close(c->fd);
	assert_true(c->done);
}

static void client_init(struct client *c, struct fix *f)
{
	memset(c, 0, sizeof(*c));
	c->f = f;
	c->blksize = TFTP_BLKSIZE_DEFAULT;
	c->next = 1;
	c->err = -1;
}

static int rrq(uint8_t *buf, size_t cap, const char *name, const struct tftp_opts *o)
{
	struct tftp_opts none;
	memset(&none, 0, sizeof(none));
	return tftp_build_rrq(buf, cap, name, TFTP_MODE_OCTET, o ? o : &none);
}

static void t_lockstep(void **state)
{
	struct fix *f = *state;
	struct client c;
	uint8_t pkt[512];
	client_init(&c, f);
	run(f, &c, pkt, rrq(pkt, sizeof(pkt), "a.bin", NULL), false);
	assert_int_equal(c.err, TFTP_EBADID); /* the probe ACK after the end */
	assert_false(c.oack);
	assert_int_equal(c.got_len, FILE_LEN);
	assert_memory_equal(c.got, f->content, FILE_LEN);
	const struct tftp_stats *st = tftp_server_stats(f->srv);
	/* Every DATA the server sent arrived before the ERROR 5 (one path,
	 * in order); a loaded host may have caused a retransmission. */
	assert_int_equal(c.data_pkts, FILE_LEN / 512 + 1 + st->retransmits);
	assert_true(st->retransmits || st->bytes_sent == FILE_LEN);
	assert_int_not_equal(ntohs(c.tid.sin_port), net_local_port(f->listen_fd)); /* a new TID */
	assert_int_equal(st->requests, 1);
	assert_int_equal(st->transfers_ok, 1);
	assert_int_equal(st->transfers_failed, 0);
	assert_int_equal(st->active, 0);
	assert_true(st->bytes_sent >= FILE_LEN);
	assert_int_equal(st->packets_sent, c.data_pkts + 1); /* + the ERROR 5 */
}

static void t_options(void **state)
{
	struct fix *f = *state;
	struct client c;
	uint8_t pkt[512];
	struct tftp_opts o = { .has_blksize = true, .blksize = 1024, .has_tsize = true };
	client_init(&c, f);
	run(f, &c, pkt, rrq(pkt, sizeof(pkt), "/a.bin", &o), false);
	assert_true(c.oack);
	assert_int_equal(c.oack_opts.blksize, 1024);
	assert_int_equal(c.oack_opts.tsize, FILE_LEN);
	assert_int_equal(c.got_len, FILE_LEN);
	assert_memory_equal(c.got, f->content, FILE_LEN);
	assert_int_equal(c.data_pkts, 3 + tftp_server_stats(f->srv)->retransmits);
	assert_int_equal(tftp_server_stats(f->srv)->transfers_ok, 1);
}

/* The client leaves DATA 1 and 2 unanswered: the server's timer resends. */
static void t_retransmit(void **state)
{
	struct fix *f = *state;
	struct client c;
	uint8_t pkt[512];
	client_init(&c, f);
	c.drop = 2;
	run(f, &c, pkt, rrq(pkt, sizeof(pkt), "a.bin", NULL), false);
	assert_int_equal(c.got_len, FILE_LEN);
	assert_memory_equal(c.got, f->content, FILE_LEN);
	const struct tftp_stats *st = tftp_server_stats(f->srv);
	assert_true(st->retransmits >= 2);
	assert_int_equal(c.data_pkts, FILE_LEN / 512 + 1 + st->retransmits);
	assert_true(st->bytes_sent >= FILE_LEN + 2 * 512);
	assert_int_equal(st->transfers_ok, 1);
	assert_int_equal(st->active, 0);
}

/* A firmware size probe: OACK, then "Early terminate". */
static void t_client_abort(void **state)
{
	struct fix *f = *state;
	struct client c;
	uint8_t pkt[512];
	struct tftp_opts o = { .has_tsize = true };
	client_init(&c, f);
	c.abort_after_oack = true;
	run(f, &c, pkt, rrq(pkt, sizeof(pkt), "a.bin", &o), false);
	assert_true(c.oack);
	assert_int_equal(c.err, TFTP_EBADID);
	assert_int_equal(c.data_pkts, 0);
	const struct tftp_stats *st = tftp_server_stats(f->srv);
	assert_int_equal(st->active, 0);
	assert_int_equal(st->transfers_ok, 0);
	assert_int_equal(st->transfers_failed, 0);
}

static void t_refusals(void **state)
{
	struct fix *f = *state;
	struct client c;
	uint8_t pkt[512];
	struct tftp_opts none;
	memset(&none, 0, sizeof(none));
	client_init(&c, f);
	run(f, &c, pkt, rrq(pkt, sizeof(pkt), "missing.bin", NULL), false);
	assert_int_equal(c.err, TFTP_ENOTFOUND);
	client_init(&c, f);
	int n = rrq(pkt, sizeof(pkt), "a.bin", NULL);
	pkt[1] = TFTP_WRQ;
	run(f, &c, pkt, n, false);
	assert_int_equal(c.err, TFTP_EACCESS);
	client_init(&c, f);
	run(f, &c, pkt, rrq(pkt, sizeof(pkt), "../a.bin", NULL), false);
	assert_int_equal(c.err, TFTP_EACCESS);
	/* An ACK on the data port from a port with no transfer. */
	client_init(&c, f);
	run(f, &c, pkt, tftp_build_ack(pkt, sizeof(pkt), 1), true);
	assert_int_equal(c.err, TFTP_EBADID);
	const struct tftp_stats *st = tftp_server_stats(f->srv);
	assert_int_equal(st->requests, 3);
	assert_int_equal(st->not_found, 1);
	assert_int_equal(st->denied, 2);
	assert_int_equal(st->active, 0);
	assert_int_equal(st->transfers_ok, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_lockstep, fix_setup, fix_teardown),
		cmocka_unit_test_setup_teardown(t_options, fix_setup, fix_teardown),
		cmocka_unit_test_setup_teardown(t_retransmit, fix_setup, fix_teardown),
		cmocka_unit_test_setup_teardown(t_client_abort, fix_setup, fix_teardown),
		cmocka_unit_test_setup_teardown(t_refusals, fix_setup, fix_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
