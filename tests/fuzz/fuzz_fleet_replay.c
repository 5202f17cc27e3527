/* fuzz_fleet_replay.c - fuzz_events_log with the replayed events applied
 * to a fleet (FUZZ_FLEET): the fleet's boot state machine, stall tick and
 * JSON documents on hostile events.log contents. Seeds in
 * tests/fuzz/corpus/fuzz_fleet_replay/. */
#define FUZZ_FLEET 1
#include "fuzz_events_log.c"
