//! Lists whose items must be JSON objects.
//!
//! serde's derived structs also fill from an array, by position:
//! `"songs": [[null, "Everlong", "", 250]]` would be stored as a song titled
//! "Everlong", from a body whose author meant something else. The items of
//! these lists are read as maps only, so an array is a 422 naming the item
//! (`songs[0]`), as any value of the wrong type is.

use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};

/// `#[serde(deserialize_with = "objects")]` for a `Vec` of structs.
pub(super) fn objects<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    ObjectList::deserialize(deserializer).map(|list| list.0)
}

/// The same for a list that may be left out (with `#[serde(default)]`):
/// absent is `None`, and `null` is refused like any other non-list.
pub(super) fn some_objects<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    objects(deserializer).map(Some)
}

/// The same for an optional list (`null` or absent is `None`).
pub(super) fn optional_objects<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<ObjectList<T>>::deserialize(deserializer).map(|list| list.map(|list| list.0))
}

struct ObjectList<T>(Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectList<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(ObjectListVisitor(PhantomData))
    }
}

struct ObjectListVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectListVisitor<T> {
    type Value = ObjectList<T>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a list of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // The hint is the client's: never reserve more than a list may hold.
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(256));
        while let Some(Object(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(ObjectList(items))
    }
}

/// One item, read as a map whatever the type asks for.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(MapOnly(deserializer)).map(Object)
    }
}

/// Hands every request to the inner deserializer as a request for a map,
/// which serde_json answers only from `{…}`.
struct MapOnly<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for MapOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use crate::api::SetlistInput;

    fn read(body: &str) -> Result<SetlistInput, String> {
        serde_json::from_str(body).map_err(|error| error.to_string())
    }

    #[test]
    fn songs_and_sets_are_objects_not_arrays() {
        let song = r#"{"title":"Everlong"}"#;
        let ok = read(&format!(
            r#"{{"name":"N","show_date":"2026-01-01","songs":[{song}],"sets":[{{"name":"Set 1","songs":[{song}]}}]}}"#
        ))
        .unwrap();
        assert_eq!(ok.flat_songs()[0].title, "Everlong");
        assert_eq!(ok.sets.unwrap()[0].songs[0].title, "Everlong");
        assert!(
            read(r#"{"name":"N","show_date":"2026-01-01","sets":null}"#)
                .unwrap()
                .sets
                .is_none()
        );
        let neither = read(r#"{"name":"N","show_date":"2026-01-01"}"#).unwrap();
        assert!(neither.sets.is_none() && neither.songs.is_none());
        // Left out, `songs` means "from `sets`"; `null` is not a guess at that.
        let null = read(r#"{"name":"N","show_date":"2026-01-01","songs":null}"#).unwrap_err();
        assert!(null.starts_with("invalid type: null"), "{null}");
        for positional in [
            r#"{"name":"N","show_date":"2026-01-01","songs":[[null,"Everlong"]]}"#,
            r#"{"name":"N","show_date":"2026-01-01","sets":[["Set 1",[]]]}"#,
            r#"{"name":"N","show_date":"2026-01-01","sets":[{"name":"Set 1","songs":[[null,"T"]]}]}"#,
        ] {
            let error = read(positional).unwrap_err();
            assert!(
                error.starts_with("invalid type: sequence"),
                "{positional}: {error}"
            );
        }
    }
}
