import { buildMessage, ValidateBy, type ValidationOptions } from 'class-validator';

/** Earliest and latest instants a due date may name: Postgres stores far more, but ISO strings outside 0001–9999 are not plain `YYYY-…`. */
export const EARLIEST_DUE_AT = Date.parse('0001-01-01T00:00:00.000Z');
export const LATEST_DUE_AT = Date.parse('9999-12-31T23:59:59.999Z');

// RFC 3339 §5.6 date-time: the offset is required, since a bare local time means whatever zone the server is in.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** Parses an RFC 3339 date-time to epoch milliseconds, or NaN when it is malformed, impossible (Feb 30) or outside 0001–9999. */
export function parseDateTime(value: string): number {
  const match = DATE_TIME.exec(value);
  if (!match) return NaN;
  const [year, month, day, hour, minute, second, offsetHour = 0, offsetMinute = 0] = match.slice(1).map((part) => Number(part ?? 0));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;
  if (hour > 23 || minute > 59 || second > 59 || offsetHour > 23 || offsetMinute > 59) return NaN;
  // V8 rolls Feb 30 over into March; with the fields checked above, what it parses is what was meant.
  const time = Date.parse(value);
  return time >= EARLIEST_DUE_AT && time <= LATEST_DUE_AT ? time : NaN;
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

export function IsDateTime(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isDateTime',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && !Number.isNaN(parseDateTime(value)),
        defaultMessage: buildMessage(
          (each) => `${each}$property must be an ISO 8601 date-time with an offset (e.g. 2030-01-31T17:00:00Z) between years 0001 and 9999`,
          options,
        ),
      },
    },
    options,
  );
}

// NUL cannot be stored in a Postgres text column, and a lone surrogate has no UTF-8 form: either would not round-trip verbatim.
// eslint-disable-next-line no-control-regex -- NUL is exactly what this refuses
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A string Postgres stores verbatim in a varchar(max). Lengths count code points, as Postgres does;
 * class-validator's @Length discounts emoji variation selectors, so a "200" title could be 201 in the database.
 */
export function IsStorableText(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStorableText',
      constraints: [min, max],
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string' || UNSTORABLE.test(value)) return false;
          // Well-formed by now, so every high surrogate starts a pair that Postgres counts as one character.
          const length = value.length - (value.match(/[\uD800-\uDBFF]/g)?.length ?? 0);
          return length >= min && length <= max;
        },
        defaultMessage: buildMessage(
          (each) => `${each}$property must be a string of ${min} to ${max} characters without NUL or unpaired surrogates`,
          options,
        ),
      },
    },
    options,
  );
}
