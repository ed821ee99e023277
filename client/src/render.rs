//! How srctl shows each kind of answer: as JSON (`--json`) or as a text table. Each type
//! says once what its table looks like; `execute` only fetches and hands over.

use std::io::Write;

use serde::Serialize;

use crate::types::{ConfigurationValue, Event, Limits, ResourceLimits, Service};
use crate::Error;

/// Something srctl prints: its JSON is its serde form, its text is [`Text::text`].
pub(crate) trait Text: Serialize {
    fn text(&self) -> Shape;
}

/// What a value looks like as text.
pub(crate) enum Shape {
    Table {
        header: &'static [&'static str],
        rows: Vec<Vec<String>>,
    },
    Line(String),
}

impl Shape {
    /// A table with a row per item.
    fn rows_of<T>(
        header: &'static [&'static str],
        items: &[T],
        row: impl Fn(&T) -> Vec<String>,
    ) -> Self {
        Self::Table {
            header,
            rows: items.iter().map(row).collect(),
        }
    }
}

/// The output's form, chosen by `--json`.
pub(crate) struct Shown {
    pub json: bool,
}

impl Shown {
    /// `value`, pretty JSON or its text shape.
    pub fn write<W: Write, T: Text>(&self, out: &mut W, value: &T) -> Result<(), Error> {
        let written = if self.json {
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(value).unwrap_or_default()
            )
        } else {
            match value.text() {
                Shape::Table { header, rows } => table(out, header, rows),
                Shape::Line(line) => writeln!(out, "{line}"),
            }
        };
        written.map_err(Error::Output)
    }

    /// One item of a stream (`events list --follow`): compact JSON or one line, flushed.
    pub fn write_line<W: Write>(&self, out: &mut W, event: &Event) -> Result<(), Error> {
        let written = if self.json {
            writeln!(out, "{}", serde_json::to_string(event).unwrap_or_default())
        } else {
            writeln!(out, "{} {} {}", event.id, event.kind, event.payload)
        };
        written.and_then(|()| out.flush()).map_err(Error::Output)
    }

    /// A change that answers nothing: a line in text, nothing in JSON.
    pub fn done<W: Write>(&self, out: &mut W, line: &str) -> Result<(), Error> {
        if self.json {
            return Ok(());
        }
        writeln!(out, "{line}").map_err(Error::Output)
    }
}

#[derive(Serialize)]
#[serde(transparent)]
pub(crate) struct ServiceList(pub Vec<Service>);

impl Text for ServiceList {
    fn text(&self) -> Shape {
        Shape::rows_of(&["ID", "TIMEOUT", "TAGS", "LAST SEEN"], &self.0, |s| {
            vec![
                s.id.clone(),
                s.heartbeat_timeout.to_string(),
                s.tags.join(","),
                last_seen(s.last_seen),
            ]
        })
    }
}

impl Text for Service {
    fn text(&self) -> Shape {
        let metadata: Vec<String> = self
            .metadata
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let rows = vec![
            vec!["id".into(), self.id.clone()],
            vec![
                "heartbeat_timeout".into(),
                self.heartbeat_timeout.to_string(),
            ],
            vec!["tags".into(), self.tags.join(",")],
            vec!["metadata".into(), metadata.join(",")],
            vec!["last_seen".into(), last_seen(self.last_seen)],
        ];
        Shape::Table {
            header: &["FIELD", "VALUE"],
            rows,
        }
    }
}

#[derive(Serialize)]
#[serde(transparent)]
pub(crate) struct EventList(pub Vec<Event>);

impl Text for EventList {
    fn text(&self) -> Shape {
        Shape::rows_of(&["ID", "TIMESTAMP", "TYPE", "PAYLOAD"], &self.0, |e| {
            vec![
                e.id.clone(),
                e.timestamp.to_string(),
                e.kind.clone(),
                e.payload.to_string(),
            ]
        })
    }
}

#[derive(Serialize)]
#[serde(transparent)]
pub(crate) struct ValueList(pub Vec<ConfigurationValue>);

impl Text for ValueList {
    fn text(&self) -> Shape {
        Shape::rows_of(&["ID", "VALUE"], &self.0, |v| {
            vec![v.id.clone(), v.value.clone()]
        })
    }
}

impl Text for ConfigurationValue {
    fn text(&self) -> Shape {
        Shape::Line(self.value.clone())
    }
}

impl Text for Limits {
    fn text(&self) -> Shape {
        let held = |count: fn(&ResourceLimits) -> u64| {
            self.usage
                .as_ref()
                .map_or_else(String::new, |usage| count(usage).to_string())
        };
        let mut rows = vec![
            vec![
                "services".into(),
                self.resource.service.to_string(),
                held(|usage| usage.service),
            ],
            vec![
                "configuration values".into(),
                self.resource.configuration_value.to_string(),
                held(|usage| usage.configuration_value),
            ],
        ];
        for (pattern, rate) in &self.rate {
            rows.push(vec![
                format!("requests {pattern} per {}", rate.window),
                rate.limit.to_string(),
                rate.used.to_string(),
            ]);
        }
        Shape::Table {
            header: &["LIMIT", "MAX", "USED"],
            rows,
        }
    }
}

fn last_seen(millis: Option<i64>) -> String {
    millis.map_or_else(
        || "never".into(),
        |m| {
            let time = std::time::UNIX_EPOCH
                + std::time::Duration::from_millis(u64::try_from(m).unwrap_or(0));
            humantime::format_rfc3339_millis(time).to_string()
        },
    )
}

/// Columns padded to their widest cell.
fn table<W: Write>(out: &mut W, header: &[&str], rows: Vec<Vec<String>>) -> std::io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    writeln!(
        out,
        "{}",
        line(header.iter().map(|h| h.to_string()).collect())
    )?;
    for row in rows {
        writeln!(out, "{}", line(row))?;
    }
    Ok(())
}
