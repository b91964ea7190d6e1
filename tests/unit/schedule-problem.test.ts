// The one schedule check the form runs as it is typed and the server runs on save: each refusal
// names what is wrong (the field and its range, or the field count), croner's own patterns pass,
// and the server's refusal is the very sentence the form showed.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Cron } from "croner";
import { validateSchedule } from "../../lib/backup/schedule";
import { cronProblem, isValidCron } from "../../lib/cron";
import { scheduleProblem } from "../../lib/schedule-rules";

describe("schedule problems, in words", () => {
  test("a value out of its field's range is named with the range", () => {
    assert.equal(
      scheduleProblem({ cron: "61 * * * *", keep: 3 }),
      "The schedule must be a cron expression whose minute is 0 to 59 (not 61), or empty for off.",
    );
    assert.match(cronProblem("0 25 * * *")!, /whose hour is 0 to 23 \(not 25\)/);
    assert.match(cronProblem("0 3 32 * *")!, /whose day of the month is 1 to 31 \(not 32\)/);
    assert.match(cronProblem("0 3 * 13 *")!, /whose month is 1 to 12 \(not 13\)/);
    assert.match(cronProblem("0 3 * * 8")!, /whose weekday is 0 to 7 \(not 8\)/);
    assert.match(cronProblem("61 0 3 * * *")!, /whose second is 0 to 59 \(not 61\)/);
    assert.match(cronProblem("0 3-25 * * *")!, /whose hour is 0 to 23 \(not 25\)/);
    assert.match(cronProblem("0,75 3 * * *")!, /whose minute is 0 to 59 \(not 75\)/);
  });

  test("a wrong number of fields says how many there are and how many there should be", () => {
    assert.equal(
      cronProblem("0 3 * *"),
      "must be a cron expression of 5 fields (minute hour day month weekday) or 6 (seconds first), not 4",
    );
    assert.match(cronProblem("daily")!, /not 1$/);
  });

  test("anything else croner refuses gets the general form", () => {
    assert.equal(cronProblem("*/0 * * * *"), 'must be a cron expression such as "0 3 * * *" (daily at 03:00)');
    assert.equal(cronProblem("a b c d e"), 'must be a cron expression such as "0 3 * * *" (daily at 03:00)');
  });

  test("what croner accepts passes", () => {
    for (const expression of [
      "0 3 * * *",
      "*/15 * * * *",
      "0 3 L * *",
      "0 3 * * MON-FRI",
      "0 3 * * 5#2",
      "0 3 * * 7",
    ]) {
      assert.doesNotThrow(() => new Cron(expression, { paused: true }).stop(), expression);
      assert.equal(cronProblem(expression), null, expression);
      assert.equal(isValidCron(expression), true, expression);
    }
    assert.equal(isValidCron("off"), true);
    assert.equal(scheduleProblem({ cron: null, keep: 3 }), null);
    assert.equal(scheduleProblem({ cron: "", keep: 3 }), null);
  });

  test("the server refuses with the sentence the form showed", () => {
    for (const input of [
      { cron: "61 * * * *", keep: 3 },
      { cron: "0 3 * *", keep: 3 },
      { cron: "0 3 * * *", keep: 0 },
    ]) {
      assert.throws(() => validateSchedule(input), { message: scheduleProblem(input)! });
    }
    assert.equal(scheduleProblem({ cron: "0 3 * * *", keep: 0 }), "Keep must be at least 1.");
  });
});
