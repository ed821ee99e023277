//! Racing writers: the database constraints, not a check-then-insert, pick one winner.

use futures_util::future::join_all;
use reqwest::StatusCode;

use crate::helpers::*;

async fn thirty_two_racing_registrations_of_one_name_yield_one_201_and_31_409(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let variants = case_variants("ægir öl", 32);
    assert_eq!(
        variants
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len(),
        32
    );
    let app = &app;
    let requests = variants.iter().enumerate().map(|(i, name)| async move {
        app.register(&ServiceBody::new(1000 + i, name), FORMATS[i % 2])
            .await
    });
    let replies = join_all(requests).await;
    assert_eq!(tally(&replies), (1, 31));
    for reply in replies.iter().filter(|r| r.status == StatusCode::CONFLICT) {
        reply.assert_fault(409, "identityFault");
    }
    assert_eq!(
        app.list_services("", Format::Json).await.services().len(),
        1
    );
}

async fn thirty_two_racing_registrations_of_one_id_yield_one_201_and_31_409(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let app = &app;
    let requests = (0..32).map(|i| async move {
        app.register(&ServiceBody::new(7, &format!("name {i}")), FORMATS[i % 2])
            .await
    });
    let replies = join_all(requests).await;
    assert_eq!(tally(&replies), (1, 31));
    let winner = replies
        .iter()
        .find(|r| r.status == StatusCode::CREATED)
        .unwrap()
        .service();
    assert_eq!(app.get_service("7", Format::Json).await.service(), winner);
}

#[test]
fn case_variants_are_distinct_spellings_of_one_name() {
    let variants = case_variants("ab", 4);
    assert_eq!(variants, ["ab", "Ab", "aB", "AB"]);
}

on_both_backends!(
    thirty_two_racing_registrations_of_one_name_yield_one_201_and_31_409,
    thirty_two_racing_registrations_of_one_id_yield_one_201_and_31_409,
);
