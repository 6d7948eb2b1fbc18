/*
 * ledger_day.c: civil calendar arithmetic (Howard Hinnant's days-from-civil
 * algorithms) and the ledger day of SPEC §5.
 */
#include "ledger_day.h"

#define MS_PER_DAY 86400000LL
#define MS_PER_HOUR 3600000LL

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

int64_t days_from_civil(struct civil_date date)
{
	int64_t y = (int64_t)date.year - (date.month <= 2);
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t m = date.month;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + (int64_t)date.day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

struct civil_date civil_from_days(int64_t days)
{
	int64_t z = days + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);
	return (struct civil_date){.year = (int32_t)y, .month = (uint32_t)m, .day = (uint32_t)d};
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static int64_t weekday(int64_t days)
{
	int64_t w = (days + 4) % 7;
	return w < 0 ? w + 7 : w;
}

/* 01:00 UTC on the last Sunday of a 31-day month. */
static int64_t last_sunday_1am_ms(int32_t year, uint32_t month)
{
	int64_t last = days_from_civil((struct civil_date){year, month, 31});
	return (last - weekday(last)) * MS_PER_DAY + MS_PER_HOUR;
}

bool eu_summer_time_at(int64_t time_ms)
{
	int32_t year = civil_from_days(floor_div(time_ms, MS_PER_DAY)).year;
	return time_ms >= last_sunday_1am_ms(year, 3) && time_ms < last_sunday_1am_ms(year, 10);
}

int64_t ledger_day(const struct day_rules *rules, int64_t time_ms)
{
	int64_t local_ms = time_ms + (int64_t)rules->utc_offset_minutes * 60000;
	if (rules->eu_summer_time && eu_summer_time_at(time_ms))
		local_ms += MS_PER_HOUR;
	return floor_div(local_ms, MS_PER_DAY);
}

bool ledger_months_elapsed(int64_t earlier, int64_t later, uint32_t months)
{
	struct civil_date from = civil_from_days(earlier);
	struct civil_date to = civil_from_days(later);
	int64_t month_index = (int64_t)from.year * 12 + (from.month - 1) + months;
	struct civil_date due = {
		.year = (int32_t)floor_div(month_index, 12),
		.month = (uint32_t)(month_index - floor_div(month_index, 12) * 12) + 1,
		.day = from.day,
	};
	/* Compare as (year, month, day) so that 29 February falls due on 1 March. */
	if (to.year != due.year)
		return to.year > due.year;
	if (to.month != due.month)
		return to.month > due.month;
	return to.day >= due.day;
}
