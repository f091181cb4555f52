//! Per-file facts: what phase 1 extracts from a file for the project-level
//! rules of phase 2 (settings, models, app wiring). Plain serialisable data,
//! so trees can be dropped after phase 1 and facts can be cached.
//!
//! The engine knows no kind of fact: each is a type of the layer that
//! extracts it (the model layer's framework facts, the fit signals),
//! implementing [`Fact`], and stored by type in [`FileFacts`]. In the cache
//! a fact is kept encoded under its [`Fact::KEY`] and decoded when a rule
//! first asks for it, so a warm run decodes only the facts its rules read.

use crate::engine::context::FileCtx;
use crate::parse::Lang;
use serde::de::{DeserializeOwned, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::any::Any;
use std::fmt;
use std::sync::OnceLock;

/// Prefix of the symbols the project's `package.json` files provide: for a
/// dependency declared with lower bound major version M everywhere it is
/// declared, `npm:<name>>=<k>` for every k up to M.
pub const NPM_SYMBOL: &str = "npm:";

/// Phase-1 fact extraction for the project-level rules. An extractor runs
/// on a file of its languages that contains one of its needles, or on
/// every such file when it has none.
pub struct FactExtractor {
    /// Rule ids or prefixes that consume these facts: the extractor runs
    /// only when one of them is enabled.
    pub consumers: &'static [&'static str],
    pub langs: &'static [Lang],
    pub needles: &'static [&'static str],
    pub run: fn(&mut FileCtx),
    /// The consumers are file rules whose findings are completed after
    /// phase 1 from these facts (not project rules): the extractor runs
    /// whenever one of them is enabled, also on context files.
    pub for_file_rules: bool,
}

/// A kind of per-file fact.
pub trait Fact: Any + Send + Sync + fmt::Debug + Clone + Serialize + DeserializeOwned {
    /// Its name in the cache; unique among the kinds.
    const KEY: &'static str;
}

/// What the store needs of a fact without knowing its type.
trait Erased: Any + Send + Sync + fmt::Debug {
    fn encode(&self) -> Vec<u8>;
    fn clone_box(&self) -> Box<dyn Erased>;
    /// `bytes` decoded as a value of this one's type.
    fn decode_same(&self, bytes: &[u8]) -> Option<Box<dyn Erased>>;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Fact> Erased for T {
    fn encode(&self) -> Vec<u8> {
        // Facts are plain data: encoding cannot fail.
        postcard::to_stdvec(self).unwrap_or_default()
    }
    fn clone_box(&self) -> Box<dyn Erased> {
        Box::new(self.clone())
    }
    fn decode_same(&self, bytes: &[u8]) -> Option<Box<dyn Erased>> {
        postcard::from_bytes::<T>(bytes).ok().map(|v| Box::new(v) as Box<dyn Erased>)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// One fact of a file: its value, or (read from the cache) its encoding
/// until the first typed read decodes it.
struct Slot {
    key: String,
    value: OnceLock<Option<Box<dyn Erased>>>,
    encoded: Option<Vec<u8>>,
}

impl Slot {
    fn get<T: Fact>(&self) -> Option<&T> {
        self.value
            .get_or_init(|| {
                let bytes = self.encoded.as_deref()?;
                postcard::from_bytes::<T>(bytes).ok().map(|v| Box::new(v) as Box<dyn Erased>)
            })
            .as_ref()
            .and_then(|v| v.as_any().downcast_ref::<T>())
    }

    fn get_mut<T: Fact>(&mut self) -> Option<&mut T> {
        self.get::<T>()?;
        self.encoded = None; // the value changes: its old encoding is stale
        self.value.get_mut()?.as_mut()?.as_any_mut().downcast_mut::<T>()
    }

    fn encoding(&self) -> Vec<u8> {
        match (self.value.get(), &self.encoded) {
            (_, Some(bytes)) => bytes.clone(),
            (Some(Some(v)), None) => v.encode(),
            _ => Vec::new(),
        }
    }
}

impl Clone for Slot {
    fn clone(&self) -> Slot {
        let value = OnceLock::new();
        if let Some(v) = self.value.get() {
            let _ = value.set(v.as_ref().map(|v| v.clone_box()));
        }
        Slot { key: self.key.clone(), value, encoded: self.encoded.clone() }
    }
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct FileFacts {
    /// Symbols the file defines that can void other files' findings
    /// (`Finding::unless`), e.g. `guard:safe_url` for a function wrapping a
    /// redirect check.
    #[serde(default)]
    pub provides: Vec<String>,
    /// The facts of each kind that the file has, in the order they were
    /// first recorded.
    #[serde(default)]
    kinds: Kinds,
}

#[derive(Clone, Default)]
struct Kinds(Vec<Slot>);

impl FileFacts {
    /// The file's fact of kind `T`, if it has one.
    pub fn get<T: Fact>(&self) -> Option<&T> {
        self.kinds.0.iter().find(|s| s.key == T::KEY)?.get::<T>()
    }

    /// Sets the file's fact of kind `T`.
    pub fn set<T: Fact>(&mut self, value: T) {
        let slot = Slot {
            key: T::KEY.to_string(),
            value: OnceLock::from(Some(Box::new(value) as Box<dyn Erased>)),
            encoded: None,
        };
        match self.kinds.0.iter_mut().find(|s| s.key == T::KEY) {
            Some(s) => *s = slot,
            None => self.kinds.0.push(slot),
        }
    }

    /// The file's fact of kind `T`, made by `make` if it has none yet.
    pub fn get_or_insert_with<T: Fact>(&mut self, make: impl FnOnce() -> T) -> &mut T {
        let i = match self.kinds.0.iter().position(|s| s.key == T::KEY && s.get::<T>().is_some()) {
            Some(i) => i,
            None => {
                self.set(make());
                self.kinds.0.iter().position(|s| s.key == T::KEY).unwrap_or_default()
            }
        };
        match self.kinds.0[i].get_mut::<T>() {
            Some(v) => v,
            None => unreachable!("slot {i} holds a {}", T::KEY),
        }
    }

    /// The file's fact of kind `T`, to change in place.
    pub fn get_mut<T: Fact>(&mut self) -> Option<&mut T> {
        self.kinds.0.iter_mut().find(|s| s.key == T::KEY)?.get_mut::<T>()
    }

    /// The keys of the kinds of fact the file has.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.kinds.0.iter().map(|s| s.key.as_str())
    }

    /// These facts, with every kind that `like` has decoded decoded as the
    /// same type (for comparing facts read back from the cache).
    pub fn decoded_like(&self, like: &FileFacts) -> FileFacts {
        let mut out = self.clone();
        for slot in &mut out.kinds.0 {
            let Some(Some(model)) = like.kinds.0.iter().find(|s| s.key == slot.key).and_then(|s| s.value.get()) else {
                continue;
            };
            if slot.value.get().is_none() {
                if let Some(v) = slot.encoded.as_deref().and_then(|b| model.decode_same(b)) {
                    let _ = slot.value.set(Some(v));
                }
            }
        }
        out
    }
}

impl fmt::Debug for FileFacts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        m.entry(&"provides", &self.provides);
        for s in &self.kinds.0 {
            match s.value.get() {
                Some(Some(v)) => m.entry(&s.key, v),
                _ => m.entry(&s.key, &format_args!("<{} bytes, not decoded>", s.encoded.as_ref().map_or(0, Vec::len))),
            };
        }
        m.finish()
    }
}

/// A fact's encoding, written as one byte string (postcard writes a
/// `Vec<u8>` element by element otherwise).
struct Bytes(Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a byte string")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Bytes, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = seq.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(Bytes(out))
            }
        }
        d.deserialize_bytes(V)
    }
}

impl Serialize for Kinds {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let pairs: Vec<(&str, Bytes)> = self.0.iter().map(|k| (k.key.as_str(), Bytes(k.encoding()))).collect();
        pairs.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Kinds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Kinds, D::Error> {
        let pairs = Vec::<(String, Bytes)>::deserialize(d)?;
        Ok(Kinds(pairs.into_iter().map(|(key, b)| Slot { key, value: OnceLock::new(), encoded: Some(b.0) }).collect()))
    }
}
