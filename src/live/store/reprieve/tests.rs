use super::*;
use crate::live::store::testing::{database, deadlines, service, statement};
use crate::platform::intake::IntakeLag;

fn reprieves() -> Reprieves {
    let counter = |name: &str| IntCounter::new(name, name).unwrap();
    Reprieves::new(counter("granted"), counter("granted_late"))
}

#[tokio::test]
async fn a_reprieve_moves_a_live_services_deadline_for_its_current_token_only() {
    let (_directory, database) = database();
    let deadline = 1_800_000_000_000;
    let held = HeartbeatToken::generate();
    let ids = [
        "kept", "forged", "late", "shrunk", "twice", "chained", "broken",
    ];
    for id in ids {
        service(&database, id, 3, deadline, &held.hash());
    }
    let reprieves = reprieves();
    let intake = IntakeLag::default();
    let tenant = TenantId::new(1).unwrap();
    let keep = |id: &str, token: &HeartbeatToken, arrival: i64| {
        let id = ServiceId::parse(id).unwrap();
        reprieves.keep(tenant, id, token, arrival, intake.taking_in(arrival));
    };
    keep("kept", &held, deadline - 500);
    keep("forged", &HeartbeatToken::generate(), deadline - 500);
    keep("late", &held, deadline + 1);
    keep("shrunk", &held, deadline - 3_500);
    // Of two for one service, the later arrival counts.
    keep("twice", &held, deadline - 100);
    keep("twice", &held, deadline - 900);
    // Alive at the first refusal, and the last within a timeout of it: past the
    // deadline as written, but not past the one the first earned.
    keep("chained", &held, deadline - 500);
    keep("chained", &held, deadline + 2_000);
    // The last more than a timeout after the first: the first's reprieve only.
    keep("broken", &held, deadline - 500);
    keep("broken", &held, deadline + 2_600);

    // Until written, they hold the registry's clock at the earliest arrival.
    let earliest = deadline - 3_500;
    assert!(intake.millis() >= now_millis() - earliest);
    // A grant that fails keeps every reprieve, and its hold, for the next one.
    statement(&database, "ALTER TABLE live_services RENAME TO away");
    assert!(reprieves.grant(&database).await.is_err());
    assert!(intake.millis() >= now_millis() - earliest);
    statement(&database, "ALTER TABLE away RENAME TO live_services");
    assert_eq!(reprieves.grant(&database).await.unwrap(), 4);
    assert_eq!(reprieves.grant(&database).await.unwrap(), 0, "granted once");
    assert_eq!(reprieves.pending(), 0);
    assert_eq!(intake.millis(), 0, "written: the clock is let go");

    let after = deadlines(&database);
    assert_eq!(after["kept"], deadline - 500 + 3_000);
    assert_eq!(after["twice"], deadline - 100 + 3_000);
    assert_eq!(after["chained"], deadline + 2_000 + 3_000);
    assert_eq!(after["broken"], deadline - 500 + 3_000);
    assert_eq!(after["forged"], deadline, "not the service's token");
    assert_eq!(after["late"], deadline, "arrived after its deadline");
    assert_eq!(after["shrunk"], deadline, "a deadline never moves earlier");
    assert_eq!(reprieves.granted.get(), 4);
}

#[tokio::test]
async fn a_late_answer_moves_the_deadline_to_when_it_left_once_due() {
    let (_directory, database) = database();
    // Each committed with a 3 s timeout, its answer leaving later; the deadline its
    // commit wrote is near (`committed`), or not (`ahead`).
    let arrival = now_millis() - 4_000;
    let committed = arrival + 3_000;
    let ahead = arrival + 60_000;
    let next = HeartbeatToken::generate();
    for id in [
        "late", "spent", "prompt", "twice", "after", "renewed", "refused",
    ] {
        service(&database, id, 3, committed, &next.hash());
    }
    service(&database, "ahead", 3, ahead, &next.hash());
    let reprieves = reprieves();
    let intake = IntakeLag::default();
    let tenant = TenantId::new(1).unwrap();
    let keep = |id: &str, token: &HeartbeatToken, answered: i64, deadline: i64| {
        let id = ServiceId::parse(id).unwrap();
        let (next, holding) = (*token, intake.taking_in(deadline - 1));
        let late = LateAnswer {
            next,
            arrival,
            answered,
            deadline,
        };
        reprieves.keep_answered_late(tenant, id, late, holding);
    };
    keep("late", &next, arrival + 2_000, committed);
    keep(
        "spent",
        &HeartbeatToken::generate(),
        arrival + 2_000,
        committed,
    );
    keep("prompt", &next, arrival - 100, committed);
    // Of two for one service, the last answered counts.
    keep("twice", &next, arrival + 2_500, committed);
    keep("twice", &next, arrival + 1_000, committed);
    // Answered after the deadline its commit wrote, before a reaper judged it (the
    // clock is held before that deadline): it lives from its answer.
    keep("after", &next, committed + 500, committed);
    // Its next heartbeat committed: nothing to write.
    keep("renewed", &next, arrival + 2_000, committed);
    reprieves.renewed(tenant, &ServiceId::parse("renewed").unwrap());
    // Not due: kept, its hold before a deadline still ahead.
    keep("ahead", &next, arrival + 2_000, ahead);
    // Refused after the deadline its commit wrote, within the one its answer earned:
    // the answer's reprieve is written first.
    keep("refused", &next, committed + 500, committed);
    let refused = ServiceId::parse("refused").unwrap();
    let holding = intake.taking_in(committed + 1_000);
    reprieves.keep(tenant, refused, &next, committed + 1_000, holding);

    assert!(
        intake.millis() >= now_millis() - committed,
        "held before the deadline"
    );
    statement(&database, "ALTER TABLE live_services RENAME TO away");
    assert!(reprieves.grant(&database).await.is_err());
    assert_eq!(reprieves.pending(), 8);
    assert!(intake.millis() >= now_millis() - committed, "still held");
    statement(&database, "ALTER TABLE away RENAME TO live_services");
    assert_eq!(reprieves.grant(&database).await.unwrap(), 5);
    assert_eq!(reprieves.grant(&database).await.unwrap(), 0, "granted once");
    assert_eq!(reprieves.pending(), 1, "the one not due");
    assert_eq!(intake.millis(), 0, "written: the clock is let go");

    let after = deadlines(&database);
    assert_eq!(after["late"], arrival + 2_000 + 3_000);
    assert_eq!(after["twice"], arrival + 2_500 + 3_000);
    assert_eq!(after["after"], committed + 500 + 3_000);
    assert_eq!(after["refused"], committed + 1_000 + 3_000);
    assert_eq!(
        after["spent"], committed,
        "not the token the answer carried"
    );
    assert_eq!(after["prompt"], committed, "a deadline never moves earlier");
    assert_eq!(after["renewed"], committed, "dropped");
    assert_eq!(after["ahead"], ahead, "not written yet");
    assert_eq!(reprieves.granted_late.get(), 4);
    assert_eq!(reprieves.granted.get(), 1);
}
