//! Reads Apple's JSON:API success documents in one pass over the bytes, keeping only what the
//! shaper needs.
//!
//! Why a hand-written scanner: most of an Apple page is `links` (two URLs for each of ~43
//! relationships of every app) and attribute values that are copied to the output unchanged. The
//! scanner skips `links`, `meta` and unknown members without allocating, looks for the end of a
//! string eight bytes at a time, and keeps attribute values, ids and types as borrowed slices of
//! the input. It replaced serde visitors that needed heavy inlining (opt-level 3, ~27 KB of code)
//! to beat `JSON.parse`; this stays fast at opt-level "z".
//!
//! It accepts and refuses exactly what the serde visitors did (kept as the test oracle in
//! `shape/oracle/`, checked by differential tests and the `shaper` fuzz target). serde_json reads
//! a value in one of two ways, and the scanner follows the one the visitor used at each place:
//! - typed (the document, `data`, `included`, resources, `attributes` and `relationships`
//!   objects, `links`, `meta`): strings are fully checked (no lone surrogate in a `\u` escape),
//!   numbers must fit an `f64`, and every array or object counts towards serde_json's nesting
//!   limit (128 levels, the document included);
//! - skipped (attribute values, `id`, `type`, unknown members, items of arrays that are ignored):
//!   syntax only, no nesting limit, `\u` escapes not paired; attribute values nested more than
//!   [`MAX_ATTRIBUTE_DEPTH`] levels are refused (they are copied unread, so the output would
//!   otherwise be deeper than most JSON readers accept).
//!
//! Object keys are always fully checked. Members of the wrong JSON type are ignored, never an
//! error. When the scanner refuses a body, [`serde_error`] gets serde_json's own error for it (the
//! message describing the body quotes its kind, line and column): a key or typed scalar is read
//! again by serde_json on its own at the same line and column, a syntax error is rebuilt from
//! where serde_json reports it (an "EOF" error, or a line and column), nesting from the limit.

use serde::de::Error as _;
use serde_json::Value;
use std::borrow::Cow;

/// The JSON type of a value, for messages ("an array", "null", ...).
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Why a body was refused, and which serde_json read reproduces serde_json's error for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bad {
    /// The body ends where serde_json wants more (its error is then an "EOF" one, whose place
    /// the message does not use).
    Eof,
    /// Any other syntax error, at the place serde_json reports it: the byte offset its line and
    /// column are computed from (its `peek_error` points one past the offending byte, its `error`
    /// at the offset reached).
    Syntax(usize),
    /// An error inside the key or typed scalar starting at this offset (a lone surrogate, a
    /// number out of range, ...): it is read again on its own as a `Value` (serde_json reads
    /// keys and typed strings the same way).
    Typed(usize),
    /// Nesting deeper than serde_json's limit (or [`MAX_ATTRIBUTE_DEPTH`] inside an attribute).
    Deep,
}

/// A member that should be a string: its raw JSON, plus its text when it is a JSON string.
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    /// The JSON as sent (copied to the output verbatim).
    pub raw: &'a str,
    /// The string's text, when the member is a string without escapes (the normal case).
    pub text: Option<&'a str>,
}

/// A resource identifier (`{type, id}`) inside a relationship's `data`.
#[derive(Debug, Default)]
pub struct Linkage<'a> {
    /// `id` as sent (normally a string).
    pub id: Option<Member<'a>>,
    /// `type` as sent (normally a string).
    pub kind: Option<Member<'a>>,
}

/// The `data` member of one relationship.
#[derive(Debug)]
pub enum RelData<'a> {
    /// No usable `data` member (links only, or a value of the wrong type): the relationship is omitted.
    Absent,
    /// `data: null` (an empty to-one relationship).
    Null,
    /// To-one linkage.
    One(Linkage<'a>),
    /// To-many linkage (items that are not objects are dropped).
    Many(Vec<Linkage<'a>>),
}

/// One attribute of a resource.
#[derive(Debug)]
pub struct Attribute<'a> {
    /// The name (escapes decoded).
    pub name: Cow<'a, str>,
    /// The value's JSON as sent (copied to the output verbatim); empty when `member` is there
    /// (the value is then its end).
    pub value: &'a str,
    /// The input text `"name":value` when it is exactly what the output needs (no escapes in the
    /// name, no whitespace): copied in one piece.
    pub member: Option<&'a str>,
}

/// Attributes in Apple's order.
pub type Attributes<'a> = Vec<Attribute<'a>>;

/// A resource object, reduced to what shaping uses.
#[derive(Debug, Default)]
pub struct Resource<'a> {
    /// `id` as sent.
    pub id: Option<Member<'a>>,
    /// `type` as sent.
    pub kind: Option<Member<'a>>,
    /// `attributes` when it is an object: names and raw values in Apple's order, names unique
    /// (a repeated name keeps its first position and its last value, as a JSON object reader does).
    pub attributes: Option<Attributes<'a>>,
    /// Relationships that carry a `data` member, in document order, names unique (last wins).
    pub relationships: Vec<(Cow<'a, str>, RelData<'a>)>,
}

/// An item of the primary `data` array: a resource, or a description of what arrived instead.
#[derive(Debug)]
// Nearly every value is the large variant; boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Item<'a> {
    /// A resource object.
    Res(Resource<'a>),
    /// Not an object (the JSON type).
    NotObject(&'static str),
}

/// The primary `data` member.
#[derive(Debug)]
// Nearly every value is the large variant; boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Data<'a> {
    /// No `data` member.
    Missing,
    /// A single resource (instance operations).
    One(Resource<'a>),
    /// A list of resources (collection operations).
    Many(Vec<Item<'a>>),
    /// Something else (`null`, a string, ...): the JSON type.
    Other(&'static str),
}

/// A success document, reduced to what shaping uses.
#[derive(Debug)]
pub struct Doc<'a> {
    /// The primary data.
    pub data: Data<'a>,
    /// `included` resources (items that are not objects are dropped).
    pub included: Vec<Resource<'a>>,
    /// Top-level `links` (the last one when repeated).
    pub links: Option<Value>,
    /// Top-level `meta` (the last one when repeated).
    pub meta: Option<Value>,
}

/// A parsed body: a JSON:API-like document, or valid JSON of another shape.
#[derive(Debug)]
// Nearly every value is the large variant; boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Top<'a> {
    /// A JSON object.
    Doc(Doc<'a>),
    /// Valid JSON that is not an object: the JSON type.
    NotObject(&'static str),
}

/// Reads a whole body (without its byte order mark).
///
/// # Errors
/// [`Bad`] when serde_json would refuse the body; [`serde_error`] turns it into serde_json's error.
pub fn document(body: &str) -> Result<Top<'_>, Bad> {
    let mut s = Scanner {
        src: body,
        bytes: body.as_bytes(),
        pos: 0,
        depth: SERDE_DEPTH,
        frames: Vec::new(),
        key_at: 0,
    };
    let top = match s.open()? {
        Open::Object => Top::Doc(s.doc()?),
        Open::Array => {
            s.skip_elements()?;
            Top::NotObject("an array")
        }
        Open::Scalar(kind) => Top::NotObject(kind),
    };
    match s.ws() {
        None => Ok(top),
        Some(_) => Err(s.peek_err()),
    }
}

/// serde_json's own error for a body [`document`] refused: serde_json reads the part that failed
/// the way the scanner did, so the error (kind, line and column) is the one it would have given.
pub fn serde_error(body: &str, bad: Bad) -> serde_json::Error {
    let read = match bad {
        Bad::Eof => serde_json::from_str::<Value>("").map(drop),
        Bad::Syntax(at) => serde_json::from_str::<Value>(&syntax_error_at(body, at)).map(drop),
        Bad::Typed(at) => {
            serde_json::from_str::<Value>(&blank_before(body, at, body.get(at..).unwrap_or("")))
                .map(drop)
        }
        Bad::Deep => serde_json::from_str::<Value>(&"[".repeat(SERDE_DEPTH)).map(drop),
    };
    // serde_json accepting what the scanner refused would be a scanner bug (the differential
    // tests look for one); the answer is still a refusal, never a panic.
    read.err()
        .unwrap_or_else(|| serde_json::Error::custom("the gateway's JSON reader refused the body"))
}

/// A document that serde_json refuses with a syntax error at the same line and column as the
/// offset `at` of `body` (counted as serde_json counts them: lines after `\n`, columns in bytes).
fn syntax_error_at(body: &str, at: usize) -> String {
    let before = body.as_bytes().get(..at).unwrap_or_default();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let lines = before.iter().filter(|&&b| b == b'\n').count();
    let column = at - line_start;
    if column == 0 {
        // Just after a line break that was read as part of a token: `-` then a line break is
        // refused right after the break.
        format!("{}-\n", "\n".repeat(lines.saturating_sub(1)))
    } else {
        // A `}` where a value starts is refused one past it.
        format!("{}{}}}", "\n".repeat(lines), " ".repeat(column - 1))
    }
}

/// `body` before `at` turned into whitespace (line breaks kept), then `tail`: serde_json reads
/// `tail` on its own and still counts lines and columns as in `body`.
fn blank_before(body: &str, at: usize, tail: &str) -> String {
    let mut out = String::with_capacity(at + tail.len());
    out.extend(
        body.bytes()
            .take(at)
            .map(|b| if b == b'\n' { '\n' } else { ' ' }),
    );
    out.push_str(tail);
    out
}

/// serde_json's nesting limit (its `remaining_depth` at the start of a document).
const SERDE_DEPTH: usize = 128;

/// Deepest nesting accepted inside one attribute value. serde_json refuses to read documents
/// nested deeper than 128 levels, and so do most JSON readers downstream; raw values are copied
/// without being parsed, so the limit is checked here (the attribute sits 4 levels down).
const MAX_ATTRIBUTE_DEPTH: usize = 124;

/// What a typed value turned out to be: an object or array whose bracket was just consumed, or
/// a scalar that was read (its JSON type).
enum Open {
    Object,
    Array,
    Scalar(&'static str),
}

/// Eight copies of a byte, for the word-at-a-time string scan.
const fn splat(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

/// The high bit of each byte of `w` that is below 0x20, a quote or a backslash (bits above the
/// first such byte may be set too; the lowest set bit is exact).
#[inline(always)]
fn special(w: u64) -> u64 {
    // XOR with 0x02 turns the quote (0x22) into 0x20 and keeps every control character below
    // 0x20 (and every other byte at 0x21 or above), so one "byte below 0x21" test finds both; a
    // "zero byte" test after XOR with the backslash finds the backslash.
    let low = w ^ splat(0x02);
    let backslash = w ^ splat(b'\\');
    (low.wrapping_sub(splat(0x21)) & !low | backslash.wrapping_sub(splat(1)) & !backslash)
        & splat(0x80)
}

/// The single-pass reader over the body's bytes.
struct Scanner<'a> {
    src: &'a str,
    bytes: &'a [u8],
    /// The next byte to read.
    pos: usize,
    /// Typed levels serde_json would still open (its `remaining_depth`).
    depth: usize,
    /// Whether each open bracket from the 65th level on of the value being skipped is an object
    /// (kept to reuse the allocation).
    frames: Vec<bool>,
    /// Where the last key read starts (its opening quote).
    key_at: usize,
}

impl<'a> Scanner<'a> {
    // The few helpers every byte goes through are inlined even at opt-level "z": as calls they
    // were a fifth of the time.
    /// serde_json's error at `pos` itself (its `error`), or "EOF" at the end.
    #[cold]
    #[inline(never)]
    fn here_err(&self) -> Bad {
        if self.pos < self.bytes.len() {
            Bad::Syntax(self.pos)
        } else {
            Bad::Eof
        }
    }

    /// serde_json's error for the byte at `pos` (or the end): one past it (`peek_error`).
    #[cold]
    #[inline(never)]
    fn peek_err(&self) -> Bad {
        if self.pos < self.bytes.len() {
            Bad::Syntax(self.pos + 1)
        } else {
            Bad::Eof
        }
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skips JSON whitespace and returns the next byte.
    #[inline(always)]
    fn ws(&mut self) -> Option<u8> {
        loop {
            match self.peek() {
                Some(b' ' | b'\n' | b'\t' | b'\r') => self.pos += 1,
                other => return other,
            }
        }
    }

    #[inline(always)]
    fn slice(&self, start: usize) -> &'a str {
        self.src.get(start..self.pos).unwrap_or("")
    }

    /// Reads a value the way serde_json's typed reader does: an object or array is entered
    /// (counting towards the nesting limit; the caller reads its members with [`Self::next_key`]
    /// or [`Self::next_elem`]), a scalar is read and checked.
    #[inline(always)]
    fn open(&mut self) -> Result<Open, Bad> {
        let open = match self.ws() {
            Some(b'{') => Open::Object,
            Some(b'[') => Open::Array,
            _ => return self.typed_scalar().map(Open::Scalar),
        };
        self.depth -= 1;
        if self.depth == 0 {
            return Err(Bad::Deep);
        }
        self.pos += 1;
        Ok(open)
    }

    /// Reads a scalar as serde_json's typed reader does and returns its JSON type.
    fn typed_scalar(&mut self) -> Result<&'static str, Bad> {
        let start = self.pos;
        match self.peek() {
            Some(b'"') => {
                self.string_call(true).map_err(|_| Bad::Typed(start))?;
                Ok("a string")
            }
            Some(b'-' | b'0'..=b'9') => {
                self.number().map_err(|_| Bad::Typed(start))?;
                let number = self.slice(start);
                // The range is serde_json's to judge (its float conversion decides what
                // overflows); plain integers of up to 18 digits always fit.
                let plain =
                    number.len() <= 18 && !number.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'));
                if plain || serde_json::from_str::<Value>(number).is_ok() {
                    Ok("a number")
                } else {
                    Err(Bad::Typed(start))
                }
            }
            Some(b't' | b'f' | b'n') => {
                let kind = self.literal().map_err(|_| Bad::Typed(start))?;
                Ok(kind)
            }
            _ => Err(self.peek_err()),
        }
    }

    /// The next key of a typed object (its colon consumed), or `None` after its closing brace.
    /// `first` is true until the first member has been read.
    fn next_key(&mut self, first: &mut bool) -> Result<Option<Cow<'a, str>>, Bad> {
        self.next_key_inline(first)
    }

    /// [`Self::next_key`], inlined where most keys are read (attributes, relationships).
    #[inline(always)]
    fn next_key_inline(&mut self, first: &mut bool) -> Result<Option<Cow<'a, str>>, Bad> {
        if !self.next_member(first)? {
            return Ok(None);
        }
        self.key_inline().map(Some)
    }

    /// Whether a typed object has another member (its comma consumed; the key is next); false
    /// after its closing brace.
    #[inline(always)]
    fn next_member(&mut self, first: &mut bool) -> Result<bool, Bad> {
        match self.ws() {
            Some(b'}') => {
                self.pos += 1;
                self.depth += 1;
                return Ok(false);
            }
            Some(b',') if !*first => {
                self.pos += 1;
                self.ws();
            }
            Some(_) if *first => *first = false,
            _ => return Err(self.peek_err()),
        }
        Ok(true)
    }

    /// Whether the next bytes are exactly `"links":` (then consumed): the key of most members
    /// of relationship objects, recognised without reading it as a string.
    #[inline(always)]
    fn links_key(&mut self) -> bool {
        let next = self
            .bytes
            .get(self.pos..)
            .and_then(<[u8]>::first_chunk::<8>);
        let hit =
            next.is_some_and(|w| u64::from_le_bytes(*w) == u64::from_le_bytes(*b"\"links\":"));
        if hit {
            self.pos += 8;
        }
        hit
    }

    /// A key (at `pos`) of a typed object and its colon.
    fn key(&mut self) -> Result<Cow<'a, str>, Bad> {
        self.key_inline()
    }

    /// [`Self::key`], inlined.
    #[inline(always)]
    fn key_inline(&mut self) -> Result<Cow<'a, str>, Bad> {
        let start = self.pos;
        if self.peek() != Some(b'"') {
            return Err(self.peek_err());
        }
        self.key_at = start;
        let escaped = self.string(true).map_err(|_| Bad::Typed(start))?;
        let inner = self.src.get(start + 1..self.pos - 1).unwrap_or("");
        let key = if escaped {
            Cow::Owned(unescape(inner))
        } else {
            Cow::Borrowed(inner)
        };
        if self.ws() != Some(b':') {
            return Err(self.peek_err());
        }
        self.pos += 1;
        Ok(key)
    }

    /// Whether a typed array has another element (the comma consumed); false after its `]`.
    fn next_elem(&mut self, first: &mut bool) -> Result<bool, Bad> {
        match self.ws() {
            Some(b']') => {
                self.pos += 1;
                self.depth += 1;
                return Ok(false);
            }
            Some(b',') if !*first => {
                self.pos += 1;
                if matches!(self.ws(), Some(b']') | None) {
                    return Err(self.peek_err());
                }
            }
            Some(_) if *first => *first = false,
            _ => return Err(self.peek_err()),
        }
        Ok(true)
    }

    /// Skips the rest of a typed array whose elements are not used.
    fn skip_elements(&mut self) -> Result<(), Bad> {
        let mut first = true;
        while self.next_elem(&mut first)? {
            self.skip_value()?;
        }
        Ok(())
    }

    /// Skips the rest of a typed object whose members are not used (keys are still checked).
    fn skip_members(&mut self) -> Result<(), Bad> {
        let mut first = true;
        while self.next_key(&mut first)?.is_some() {
            self.skip_value()?;
        }
        Ok(())
    }

    /// Reads a whole typed value (`links`, `meta`): every level checked as serde_json's `Value`
    /// reader does.
    fn typed_value(&mut self) -> Result<(), Bad> {
        match self.open()? {
            Open::Object => {
                let mut first = true;
                while self.next_key(&mut first)?.is_some() {
                    self.typed_value()?;
                }
            }
            Open::Array => {
                let mut first = true;
                while self.next_elem(&mut first)? {
                    self.typed_value()?;
                }
            }
            Open::Scalar(_) => {}
        }
        Ok(())
    }

    /// A typed value as a `serde_json::Value` (`links`, `meta`: small, and read by the paging code).
    fn tree(&mut self) -> Result<Value, Bad> {
        self.ws();
        let start = self.pos;
        self.typed_value()?;
        // Checked above exactly as serde_json checks it, so this read cannot fail.
        Ok(serde_json::from_str(self.slice(start)).unwrap_or(Value::Null))
    }

    /// Skips one value as serde_json's skipping reader does (syntax only); returns the deepest
    /// bracket nesting inside it. Iterative, so deep nesting cannot exhaust the stack.
    fn skip_value(&mut self) -> Result<usize, Bad> {
        // Most skipped values are strings (URLs in `links`, attribute values) or objects of
        // strings (`links` itself).
        match self.ws() {
            Some(b'"') => return self.string(false).map(|_| 0),
            Some(b'{') if self.flat_string_object() => return Ok(1),
            _ => {}
        }
        // Open brackets: `level` of them; bit `i` of `objects` tells whether level `i` is an
        // object, for the first 64 levels (`frames` holds the deeper ones).
        let mut level = 0usize;
        let mut objects = 0u64;
        self.frames.clear();
        let mut deepest = 0;
        loop {
            // A value.
            match self.ws() {
                Some(b'"') => self.string(false).map(drop)?,
                Some(open @ (b'[' | b'{')) => {
                    self.pos += 1;
                    let object = open == b'{';
                    if level < 64 {
                        objects = objects & !(1 << level) | u64::from(object) << level;
                    } else {
                        self.frames.push(object);
                    }
                    level += 1;
                    deepest = deepest.max(level);
                    if self.ws() == Some(if object { b'}' } else { b']' }) {
                        self.pos += 1;
                        level -= 1;
                        if level >= 64 {
                            self.frames.pop();
                        }
                    } else {
                        if object {
                            self.skipped_key()?;
                        }
                        continue;
                    }
                }
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(b't' | b'f' | b'n') => self.literal().map(drop)?,
                _ => return Err(self.peek_err()),
            }
            // After a value: close brackets until a comma starts the next one.
            loop {
                let Some(top) = level.checked_sub(1) else {
                    return Ok(deepest);
                };
                let object = if top < 64 {
                    objects >> top & 1 == 1
                } else {
                    self.frames.last() == Some(&true)
                };
                match self.ws() {
                    Some(b',') => {
                        self.pos += 1;
                        if object {
                            self.skipped_key()?;
                        }
                        break;
                    }
                    Some(b'}') if object => {}
                    Some(b']') if !object => {}
                    _ => return Err(self.peek_err()),
                }
                self.pos += 1;
                level = top;
                if level >= 64 {
                    self.frames.pop();
                }
            }
        }
    }

    /// Skips an object at `pos` whose members are all strings without escapes, written without
    /// whitespace (`{"self":"…","related":"…"}`: the `links` of every relationship, four fifths of
    /// an Apple page); returns false, with nothing consumed, for anything else (which the general
    /// loop then reads, and refuses where it must). A valid object either way, so the outcome is
    /// the same, only reached with a fraction of the branches.
    #[inline(always)]
    fn flat_string_object(&mut self) -> bool {
        let start = self.pos;
        let bytes = self.bytes;
        let mut at = start + 1;
        loop {
            if bytes.get(at) != Some(&b'"') {
                break;
            }
            self.pos = at + 1;
            if self.skip_plain() != Some(b'"') {
                break;
            }
            at = self.pos + 1;
            if bytes.get(at..at + 2) != Some(b":\"") {
                break;
            }
            self.pos = at + 2;
            if self.skip_plain() != Some(b'"') {
                break;
            }
            at = self.pos + 1;
            match bytes.get(at) {
                Some(b',') => at += 1,
                Some(b'}') => {
                    self.pos = at + 1;
                    return true;
                }
                _ => break,
            }
        }
        self.pos = start;
        false
    }

    /// A key inside a skipped object, and its colon.
    #[inline(always)]
    fn skipped_key(&mut self) -> Result<(), Bad> {
        if self.ws() != Some(b'"') {
            return Err(self.peek_err());
        }
        self.string(false)?;
        if self.ws() != Some(b':') {
            return Err(self.peek_err());
        }
        self.pos += 1;
        Ok(())
    }

    /// Reads a string whose opening quote is at `pos`; returns whether it has escapes. With
    /// `check`, a `\u` escape of a surrogate must be a well-formed pair (serde_json's rule for
    /// strings it reads as text); without, any four hex digits do (its rule for skipped strings).
    ///
    /// # Errors
    /// Where serde_json's skipping reader reports the error (for checked strings the caller has
    /// serde_json read the string again).
    #[inline(always)]
    fn string(&mut self, check: bool) -> Result<bool, Bad> {
        self.pos += 1;
        let mut escaped = false;
        loop {
            match self.skip_plain() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(escaped);
                }
                Some(b'\\') => {
                    escaped = true;
                    self.pos += 1;
                    self.escape(check)?;
                }
                // A control character (reported where it is, not one past), or the end.
                _ => return Err(self.here_err()),
            }
        }
    }

    /// [`Self::string`] as a call, where strings are few (one copy of the scan less).
    #[inline(never)]
    fn string_call(&mut self, check: bool) -> Result<bool, Bad> {
        self.string(check)
    }

    /// Moves `pos` to the next `"`, `\` or control character and returns it (`None` at the
    /// end), eight bytes at a time.
    #[inline(always)]
    fn skip_plain(&mut self) -> Option<u8> {
        let bytes = self.bytes;
        let mut rest = bytes.get(self.pos..).unwrap_or_default();
        while let Some((chunk, tail)) = rest.split_first_chunk::<8>() {
            let hit = special(u64::from_le_bytes(*chunk));
            if hit != 0 {
                let pos = bytes.len() - rest.len() + hit.trailing_zeros() as usize / 8;
                self.pos = pos;
                return bytes.get(pos).copied();
            }
            rest = tail;
        }
        let mut pos = bytes.len() - rest.len();
        while let Some(&b) = bytes.get(pos) {
            if b == b'"' || b == b'\\' || b < 0x20 {
                break;
            }
            pos += 1;
        }
        self.pos = pos;
        bytes.get(pos).copied()
    }

    /// An escape after its backslash.
    fn escape(&mut self, check: bool) -> Result<(), Bad> {
        let c = self.peek().ok_or(Bad::Eof)?;
        self.pos += 1;
        // A surrogate error only matters to checked strings, which serde_json reads again.
        let unpaired = Bad::Syntax(self.pos);
        match c {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Ok(()),
            b'u' => {
                let unit = self.hex4()?;
                if !check {
                    return Ok(());
                }
                match unit {
                    0xDC00..=0xDFFF => Err(unpaired),
                    0xD800..=0xDBFF => {
                        if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                            return Err(unpaired);
                        }
                        self.pos += 2;
                        match self.hex4()? {
                            0xDC00..=0xDFFF => Ok(()),
                            _ => Err(unpaired),
                        }
                    }
                    _ => Ok(()),
                }
            }
            _ => Err(Bad::Syntax(self.pos)),
        }
    }

    /// Four hex digits (serde_json: the end inside them is an "EOF" error, a bad digit an error
    /// after the four).
    fn hex4(&mut self) -> Result<u32, Bad> {
        let digits = self.bytes.get(self.pos..self.pos + 4).ok_or(Bad::Eof)?;
        self.pos += 4;
        hex_value(digits).ok_or(Bad::Syntax(self.pos))
    }

    /// A number, checked as serde_json's skipping reader checks it (syntax only). Its errors
    /// are never "EOF" ones: a number cut off is a malformed number there.
    fn number(&mut self) -> Result<(), Bad> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    return Err(self.peek_err());
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.taken_err()),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return Err(Bad::Syntax((self.pos + 1).min(self.bytes.len())));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return Err(self.taken_err());
            }
            self.digits();
        }
        Ok(())
    }

    /// serde_json's error for a byte it takes and refuses (`next_char_or_null`, then `error`):
    /// just past it, or at the end when there is none.
    #[cold]
    #[inline(never)]
    fn taken_err(&self) -> Bad {
        Bad::Syntax((self.pos + 1).min(self.bytes.len()))
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    /// `true`, `false` or `null`; returns the JSON type.
    fn literal(&mut self) -> Result<&'static str, Bad> {
        // Compared as one word (a slice comparison is a `memcmp` call at opt-level "z").
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let four = rest.first_chunk::<4>().map(|w| u32::from_le_bytes(*w));
        let (len, kind) = match four {
            Some(w) if w == u32::from_le_bytes(*b"true") => (4, "a boolean"),
            Some(w) if w == u32::from_le_bytes(*b"null") => (4, "null"),
            Some(w) if w == u32::from_le_bytes(*b"fals") && rest.get(4) == Some(&b'e') => {
                (5, "a boolean")
            }
            _ => return Err(self.literal_err()),
        };
        self.pos += len;
        Ok(kind)
    }

    /// serde_json's error for a literal that is not `true`/`false`/`null`: "EOF" when the body
    /// ends inside it, else just past the first wrong byte.
    #[cold]
    fn literal_err(&self) -> Bad {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let word: &[u8] = match rest.first() {
            Some(b't') => b"true",
            Some(b'f') => b"false",
            _ => b"null",
        };
        for (i, &want) in word.iter().enumerate().skip(1) {
            match rest.get(i) {
                None => return Bad::Eof,
                Some(&b) if b != want => return Bad::Syntax(self.pos + i + 1),
                Some(_) => {}
            }
        }
        Bad::Eof
    }

    /// A raw member (`id`, `type`): skipped, kept as its JSON text.
    fn member(&mut self) -> Result<Member<'a>, Bad> {
        let quoted = self.ws() == Some(b'"');
        let start = self.pos;
        let text = if quoted {
            // A JSON string without escapes is its own text between the quotes.
            let escaped = self.string_call(false)?;
            if escaped {
                None
            } else {
                self.src.get(start + 1..self.pos - 1)
            }
        } else {
            self.skip_value()?;
            None
        };
        Ok(Member {
            raw: self.slice(start),
            text,
        })
    }

    /// The members of the document object.
    fn doc(&mut self) -> Result<Doc<'a>, Bad> {
        let mut doc = Doc {
            data: Data::Missing,
            included: Vec::new(),
            links: None,
            meta: None,
        };
        let mut first = true;
        while let Some(key) = self.next_key(&mut first)? {
            match text_of(&key) {
                "data" => doc.data = self.data()?,
                "included" => doc.included = self.included()?,
                "links" => doc.links = Some(self.tree()?),
                "meta" => doc.meta = Some(self.tree()?),
                _ => {
                    self.skip_value()?;
                }
            }
        }
        Ok(doc)
    }

    /// The primary `data`.
    fn data(&mut self) -> Result<Data<'a>, Bad> {
        Ok(match self.open()? {
            Open::Object => Data::One(self.resource()?),
            Open::Array => {
                let mut items = Vec::new();
                let mut first = true;
                while self.next_elem(&mut first)? {
                    items.push(match self.maybe_resource()? {
                        Ok(res) => Item::Res(res),
                        Err(kind) => Item::NotObject(kind),
                    });
                }
                Data::Many(items)
            }
            Open::Scalar(kind) => Data::Other(kind),
        })
    }

    /// `included`: the resources of an array (other items dropped); anything else reads as empty.
    fn included(&mut self) -> Result<Vec<Resource<'a>>, Bad> {
        let mut items = Vec::new();
        match self.open()? {
            Open::Array => {
                let mut first = true;
                while self.next_elem(&mut first)? {
                    if let Ok(res) = self.maybe_resource()? {
                        items.push(res);
                    }
                }
            }
            Open::Object => self.skip_members()?,
            Open::Scalar(_) => {}
        }
        Ok(items)
    }

    /// A resource object, or the JSON type of what arrived instead.
    fn maybe_resource(&mut self) -> Result<Result<Resource<'a>, &'static str>, Bad> {
        Ok(match self.open()? {
            Open::Object => Ok(self.resource()?),
            Open::Array => {
                self.skip_elements()?;
                Err("an array")
            }
            Open::Scalar(kind) => Err(kind),
        })
    }

    /// The members of a resource object; `links`, `meta` and unknown members are skipped.
    fn resource(&mut self) -> Result<Resource<'a>, Bad> {
        let mut res = Resource::default();
        let mut first = true;
        while let Some(key) = self.next_key(&mut first)? {
            match text_of(&key) {
                "id" => res.id = Some(self.member()?),
                "type" => res.kind = Some(self.member()?),
                "attributes" => res.attributes = self.attributes()?,
                "relationships" => res.relationships = self.relationships()?,
                _ => {
                    self.skip_value()?;
                }
            }
        }
        Ok(res)
    }

    /// `attributes` as names and raw values when it is an object; `None` otherwise.
    fn attributes(&mut self) -> Result<Option<Attributes<'a>>, Bad> {
        match self.open()? {
            Open::Object => {}
            Open::Array => {
                self.skip_elements()?;
                return Ok(None);
            }
            Open::Scalar(_) => return Ok(None),
        }
        let mut attrs: Attributes<'a> = Vec::with_capacity(16);
        // One bit per (length, first byte) class of the names seen: a repeated name (rare) is only
        // searched for when its class was seen before.
        let mut seen = 0u64;
        let mut first = true;
        while let Some(name) = self.next_key_inline(&mut first)? {
            let key_at = self.key_at;
            self.ws();
            let start = self.pos;
            if self.skip_value()? > MAX_ATTRIBUTE_DEPTH {
                return Err(Bad::Deep);
            }
            let member = match name {
                Cow::Borrowed(n) if start == key_at + n.len() + 3 => Some(self.slice(key_at)),
                _ => None,
            };
            // The value alone is only sliced when it cannot be taken from `member`.
            let value = if member.is_some() {
                ""
            } else {
                self.slice(start)
            };
            let class = crate::records::key_class(text_of(&name));
            if seen & class != 0 {
                if let Some(slot) = attrs
                    .iter_mut()
                    .find(|a| text_of(&a.name) == text_of(&name))
                {
                    slot.value = value;
                    slot.member = member;
                    continue;
                }
            }
            seen |= class;
            attrs.push(Attribute {
                name,
                value,
                member,
            });
        }
        Ok(Some(attrs))
    }

    /// `relationships`: those with a usable `data` member, names unique (the last one wins).
    fn relationships(&mut self) -> Result<Vec<(Cow<'a, str>, RelData<'a>)>, Bad> {
        let mut rels: Vec<(Cow<'a, str>, RelData<'a>)> = Vec::new();
        match self.open()? {
            Open::Object => {
                // Key classes of the names kept (see `attributes`).
                let mut kept = 0u64;
                let mut first = true;
                while let Some(name) = self.next_key_inline(&mut first)? {
                    let rel = self.relationship()?;
                    let class = crate::records::key_class(text_of(&name));
                    // A repeated name replaces the earlier one (as in a JSON object read by serde_json).
                    if kept & class != 0 {
                        rels.retain(|(n, _)| text_of(n) != text_of(&name));
                    }
                    if !matches!(rel, RelData::Absent) {
                        kept |= class;
                        rels.push((name, rel));
                    }
                }
            }
            Open::Array => self.skip_elements()?,
            Open::Scalar(_) => {}
        }
        Ok(rels)
    }

    /// One relationship object; only `data` is read (the last one when repeated).
    fn relationship(&mut self) -> Result<RelData<'a>, Bad> {
        let mut data = RelData::Absent;
        match self.open()? {
            Open::Object => {
                let mut first = true;
                while self.next_member(&mut first)? {
                    let is_data = !self.links_key() && {
                        let key = self.key()?;
                        text_of(&key).len() == 4 && text_of(&key) == "data"
                    };
                    if is_data {
                        data = self.rel_data()?;
                    } else {
                        self.skip_value()?;
                    }
                }
            }
            Open::Array => self.skip_elements()?,
            Open::Scalar(_) => {}
        }
        Ok(data)
    }

    /// A relationship's `data`: null, one linkage object, or an array of them.
    fn rel_data(&mut self) -> Result<RelData<'a>, Bad> {
        Ok(match self.open()? {
            Open::Object => RelData::One(self.linkage()?),
            Open::Array => {
                let mut items = Vec::new();
                let mut first = true;
                while self.next_elem(&mut first)? {
                    match self.open()? {
                        Open::Object => items.push(self.linkage()?),
                        Open::Array => self.skip_elements()?,
                        Open::Scalar(_) => {}
                    }
                }
                RelData::Many(items)
            }
            Open::Scalar("null") => RelData::Null,
            Open::Scalar(_) => RelData::Absent,
        })
    }

    /// `id` and `type` of a resource identifier; other members (`meta`) are skipped.
    fn linkage(&mut self) -> Result<Linkage<'a>, Bad> {
        let mut link = Linkage::default();
        let mut first = true;
        while let Some(key) = self.next_key(&mut first)? {
            match text_of(&key) {
                "id" => link.id = Some(self.member()?),
                "type" => link.kind = Some(self.member()?),
                _ => {
                    self.skip_value()?;
                }
            }
        }
        Ok(link)
    }
}

/// The text of a key (`Cow`'s own deref is a call at opt-level "z"; keys are read often).
#[inline(always)]
#[allow(clippy::ptr_arg)] // matching on the `Cow` is the point
pub fn text_of<'k>(key: &'k Cow<'_, str>) -> &'k str {
    match key {
        Cow::Borrowed(s) => s,
        Cow::Owned(s) => s.as_str(),
    }
}

/// The value of four hex digits.
fn hex_value(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &d| {
        char::from(d).to_digit(16).map(|v| acc << 4 | v)
    })
}

/// The text of a checked JSON string's contents (between the quotes) that has escapes.
fn unescape(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(i) = rest.find('\\') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let esc = rest.as_bytes().get(i + 1).copied().unwrap_or(b'\\');
        let mut used = 2;
        let c = match esc {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = |at: usize| {
                    rest.as_bytes()
                        .get(at..at + 4)
                        .and_then(hex_value)
                        .unwrap_or(0xFFFD)
                };
                let high = unit(i + 2);
                used = 6;
                let code = if (0xD800..=0xDBFF).contains(&high) {
                    // Checked: a low surrogate escape follows.
                    used = 12;
                    0x10000 + ((high - 0xD800) << 10) + (unit(i + 8).wrapping_sub(0xDC00) & 0x3FF)
                } else {
                    high
                };
                char::from_u32(code).unwrap_or('\u{FFFD}')
            }
            other => char::from(other),
        };
        out.push(c);
        rest = rest.get(i + used..).unwrap_or("");
    }
    out.push_str(rest);
    out
}
