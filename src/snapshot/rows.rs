//! A row in transit, and the tally that proves two copies of a table hold the same rows.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::tables::{Kind, Table};

/// One row in its canonical form: a JSON array with one value per column, in the table's
/// column order, serialized by serde_json. The same row gives the same text whichever
/// backend it was read from, so files and digests compare byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(String);

impl Row {
    /// Checks that `text` is a JSON array that fits `table` (one value per column, each a
    /// 64-bit integer, a string or null as the column's kind allows) and canonicalizes it.
    pub fn parse(table: &Table, text: &str) -> Result<Self, String> {
        let values: Vec<Value> = serde_json::from_str(text)
            .map_err(|cause| format!("a row of {} is not a JSON array: {cause}", table.name))?;
        if values.len() != table.columns.len() {
            return Err(format!(
                "a row of {} has {} values for {} columns",
                table.name,
                values.len(),
                table.columns.len()
            ));
        }
        for (value, column) in values.iter().zip(table.columns) {
            let fits = match (column.kind, value) {
                (_, Value::Null) => true,
                (Kind::Int, Value::Number(number)) => number.is_i64(),
                (Kind::Text, Value::String(_)) => true,
                _ => false,
            };
            if !fits {
                return Err(format!(
                    "{}.{} holds {value}, not {}",
                    table.name,
                    column.name,
                    match column.kind {
                        Kind::Int => "a 64-bit integer",
                        Kind::Text => "text",
                    }
                ));
            }
        }
        Ok(Self(
            serde_json::to_string(&values).expect("JSON values serialize"),
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The values of the table's key columns, as a JSON array: where the next page starts.
    pub fn key(&self, table: &Table) -> String {
        let values: Vec<Value> = serde_json::from_str(&self.0).expect("a canonical row");
        let keys: Vec<&Value> = values
            .iter()
            .zip(table.columns)
            .filter(|(_, column)| column.key)
            .map(|(value, _)| value)
            .collect();
        serde_json::to_string(&keys).expect("JSON values serialize")
    }
}

/// How many rows a table holds and a digest of them that does not depend on their order
/// (the sum of their SHA-256s): the two backends order text keys by their own collations,
/// and the same rows must give the same digest on both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub rows: u64,
    sum: [u128; 2],
}

impl Tally {
    pub fn add(&mut self, row: &Row) {
        let hash = Sha256::digest(row.as_str().as_bytes());
        let (high, low) = hash.split_at(16);
        self.sum[0] = self.sum[0].wrapping_add(u128::from_be_bytes(high.try_into().unwrap()));
        self.sum[1] = self.sum[1].wrapping_add(u128::from_be_bytes(low.try_into().unwrap()));
        self.rows += 1;
    }

    pub fn digest(&self) -> String {
        format!("{:032x}{:032x}", self.sum[0], self.sum[1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::tables::table;

    #[test]
    fn rows_are_checked_against_their_table_and_canonicalized() {
        let services = table("services").unwrap();
        let row = Row::parse(
            services,
            r#"[ 7, "Name", "name", "t", "public", null, 1, 2, 1 ]"#,
        )
        .unwrap();
        assert_eq!(row.as_str(), r#"[7,"Name","name","t","public",null,1,2,1]"#);
        assert_eq!(row.key(services), "[7]");
        for bad in [
            r#"[7,"Name"]"#,
            r#"["7","Name","name","t","public",null,1,2,1]"#,
            r#"[7,"Name","name","t","public",null,1.5,2,1]"#,
            r#"[7,"Name","name","t","public",null,18446744073709551615,2,1]"#,
            r#"{"id":7}"#,
        ] {
            assert!(Row::parse(services, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_tally_does_not_depend_on_order_but_on_every_row() {
        let tags = table("live_service_tags").unwrap();
        let a = Row::parse(tags, r#"[1,"x","s1"]"#).unwrap();
        let b = Row::parse(tags, r#"[1,"y","s1"]"#).unwrap();
        let (mut one, mut other, mut third) =
            (Tally::default(), Tally::default(), Tally::default());
        one.add(&a);
        one.add(&b);
        other.add(&b);
        other.add(&a);
        third.add(&a);
        third.add(&a);
        assert_eq!(one, other);
        assert_ne!(one.digest(), third.digest());
        assert_eq!(tags.keys().count(), 3);
    }
}
