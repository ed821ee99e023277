//! JSON request bodies, read strictly. serde's derived `Deserialize` takes an array where
//! a struct belongs and fills the fields by position, so `["5", "name", "type"]` would read
//! as a `registerService`; no contract here allows that. Every API reads its JSON bodies
//! through [`from_slice`] (or [`parse`] then [`Strict`]), which accept a struct only from
//! an object, at any depth. Arrays stay arrays where a DTO has a sequence.

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Unexpected, Visitor};
use serde::{forward_to_deserialize_any, Deserialize};
use serde_json::Value;

/// The body as `T`: a syntax error, or a data error such as an array for a struct.
pub fn from_slice<T: DeserializeOwned>(body: &[u8]) -> Result<T, serde_json::Error> {
    let value = parse(body)?;
    T::deserialize(Strict(&value))
}

/// The body as a JSON value, to read with [`Strict`]. A key given twice in one object is
/// refused (serde_json's `Value` would keep the last, which a derived struct refuses).
pub fn parse(body: &[u8]) -> Result<Value, serde_json::Error> {
    serde_json::from_slice::<UniqueKeys>(body).map(|parsed| parsed.0)
}

/// A JSON value whose objects have no key twice.
struct UniqueKeys(Value);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::Bool(value)))
    }

    fn visit_i64<E>(self, value: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::from(value)))
    }

    fn visit_u64<E>(self, value: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::from(value)))
    }

    fn visit_f64<E>(self, value: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::from(value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::String(value.to_owned())))
    }

    fn visit_string<E>(self, value: String) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::String(value)))
    }

    fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys(Value::Null))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueKeys(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(UniqueKeys(Value::Array(items)))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut members = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if members.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            let UniqueKeys(value) = map.next_value()?;
            members.insert(key, value);
        }
        Ok(UniqueKeys(Value::Object(members)))
    }
}

/// A deserializer over a JSON value that gives a struct only an object.
#[derive(Clone, Copy)]
pub struct Strict<'a>(pub &'a Value);

impl<'de> de::Deserializer<'de> for Strict<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(flag) => visitor.visit_bool(*flag),
            Value::Number(number) => number.deserialize_any(visitor),
            Value::String(text) => visitor.visit_borrowed_str(text),
            Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.iter().map(Strict));
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            Value::Object(members) => {
                let mut map = MapDeserializer::new(
                    members
                        .iter()
                        .map(|(key, value)| (key.as_str(), Strict(value))),
                );
                let value = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(value)
            }
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Object(_) => self.deserialize_any(visitor),
            other => Err(not_an_object(other)),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Object(_) => self.deserialize_any(visitor),
            other => Err(not_an_object(other)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    /// Enums (none of the request bodies has one yet) read as serde_json reads them.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        de::Deserializer::deserialize_enum(self.0, name, variants, visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct identifier
    }
}

impl<'de> IntoDeserializer<'de, serde_json::Error> for Strict<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// Names what came and what belongs there, not the DTO's type.
fn not_an_object(value: &Value) -> serde_json::Error {
    de::Error::invalid_type(unexpected(value), &"an object")
}

fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(flag) => Unexpected::Bool(*flag),
        Value::Number(number) => match (number.as_u64(), number.as_i64(), number.as_f64()) {
            (Some(unsigned), _, _) => Unexpected::Unsigned(unsigned),
            (_, Some(signed), _) => Unexpected::Signed(signed),
            (_, _, Some(float)) => Unexpected::Float(float),
            _ => Unexpected::Other("number"),
        },
        Value::String(text) => Unexpected::Str(text),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::from_slice;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Inner {
        id: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Outer {
        inner: Option<Inner>,
        tags: Option<Vec<String>>,
        #[serde(default)]
        number: Option<i64>,
    }

    #[test]
    fn structs_come_only_from_objects() {
        let read = from_slice::<Outer>(br#"{"inner":{"id":"5"},"tags":["a"],"number":3}"#);
        assert_eq!(
            read.unwrap(),
            Outer {
                inner: Some(Inner {
                    id: Some("5".into())
                }),
                tags: Some(vec!["a".into()]),
                number: Some(3),
            }
        );
        for body in [
            r#"[{"id":"5"}, ["a"], 3]"#,
            r#"{"inner":["5"]}"#,
            r#"{"inner":"5"}"#,
            r#"[]"#,
        ] {
            let error = from_slice::<Outer>(body.as_bytes()).unwrap_err();
            assert!(error.is_data(), "{body}: {error}");
        }
        assert!(from_slice::<Outer>(b"{").unwrap_err().is_eof());
        let twice = from_slice::<Outer>(br#"{"inner":{"id":"1","id":"2"}}"#).unwrap_err();
        assert!(
            twice.to_string().starts_with("duplicate key `id`"),
            "{twice}"
        );
        assert_eq!(
            from_slice::<Outer>(b"[1]").unwrap_err().to_string(),
            "invalid type: sequence, expected an object",
            "no type name of ours"
        );
        assert!(from_slice::<Outer>(b"{} x").unwrap_err().is_syntax());
        assert_eq!(
            from_slice::<Outer>(br#"{"inner":null,"unknown":[1,{"a":2}]}"#).unwrap(),
            Outer {
                inner: None,
                tags: None,
                number: None
            }
        );
    }
}
