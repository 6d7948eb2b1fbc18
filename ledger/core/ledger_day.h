/*
 * ledger_day.h: the ledger's calendar (SPEC §5). The day boundary comes from
 * the genesis rules only, a standard UTC offset and optionally EU summer
 * time, never from the machine's time-zone database, so that the daemon and
 * the auditor agree on every machine.
 */
#ifndef MANNE_LEDGER_DAY_H
#define MANNE_LEDGER_DAY_H

#include <stdbool.h>
#include <stdint.h>

struct day_rules {
	int32_t utc_offset_minutes;
	bool eu_summer_time;
};

struct civil_date {
	int32_t year;
	uint32_t month;  /* 1..12 */
	uint32_t day;    /* 1..31 */
};

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t days_from_civil(struct civil_date date);
struct civil_date civil_from_days(int64_t days);

/* Whether EU summer time is in force at time_ms (UTC): from the last Sunday
 * of March, 01:00 UTC, to the last Sunday of October, 01:00 UTC. */
bool eu_summer_time_at(int64_t time_ms);

/* The ledger day (days since 1970-01-01 in ledger time) of a UTC instant. */
int64_t ledger_day(const struct day_rules *rules, int64_t time_ms);

/* True when `later` is at least `months` calendar months after `earlier`
 * (both ledger days); a day missing in the target month counts as the first
 * of the next month. */
bool ledger_months_elapsed(int64_t earlier, int64_t later, uint32_t months);

#endif
