//! The admin listener's metrics, scraped and read.

use std::time::Duration;

use reqwest::StatusCode;

use super::*;

/// The value of the sample `name{labels...}` (every given label must match), or `None`.
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (series_name, series_labels) = match series.split_once('{') {
                Some((series_name, rest)) => (series_name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let matches = series_name == name
                && labels.iter().all(|(key, value)| {
                    series_labels
                        .split(',')
                        .any(|pair| pair == format!("{key}=\"{value}\""))
                });
            matches.then(|| value.parse().expect("a number"))
        })
}

impl TestApp {
    pub async fn scrape(&self) -> String {
        let admin = self.admin_address.as_ref().expect("admin_bind is set");
        let response = self
            .client
            .get(format!("{admin}/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"],
            "text/plain; version=0.0.4; charset=utf-8"
        );
        response.text().await.unwrap()
    }

    /// Scrapes until `name{labels}` reads `value` (background work counts asynchronously).
    pub async fn until_sample(&self, name: &str, labels: &[(&str, &str)], value: f64) -> String {
        eventually(
            &format!("{name}{labels:?} to read {value}"),
            Duration::from_secs(10),
            || async {
                let text = self.scrape().await;
                (sample(&text, name, labels) == Some(value)).then_some(text)
            },
        )
        .await
    }
}
