//! The song library as CSV (RFC 4180): what `POST /api/songs/import` reads
//! and `GET /api/songs/export` writes. The export opens in a spreadsheet and
//! imports back unchanged.

use std::collections::BTreeMap;

use app::{
    api::{
        ImportOutcome, ImportRow, LibrarySong, LibrarySongInput,
        validation::{FieldErrors, normalized_tags, on_one_line, validate_library_song},
    },
    components::{digits, length_field, parse_minutes_seconds},
};

/// The columns of an export, in order; an import reads them by name.
pub const COLUMNS: [&str; 7] = ["title", "artist", "key", "bpm", "length", "tags", "notes"];

/// A row of the file that is ready to add, or why it is not.
pub struct ParsedRow {
    pub line: i64,
    pub song: LibrarySongInput,
    pub errors: FieldErrors,
}

impl ParsedRow {
    pub fn report(&self, outcome: ImportOutcome) -> ImportRow {
        ImportRow {
            line: self.line,
            title: self.song.title.clone(),
            artist: self.song.artist.clone(),
            outcome,
            errors: self.errors.clone(),
        }
    }
}

/// Why a file cannot be read at all (a row's problems are the row's).
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum CsvError {
    #[error("needs a header row with a title column")]
    NoTitleColumn,
    #[error("has a quoted field that never ends (from line {0})")]
    UnclosedQuote(i64),
    #[error("has more than {0} songs")]
    TooManyRows(usize),
    #[error("names the column {0} twice")]
    ColumnTwice(&'static str),
}

/// Reads the file: its header, then one `ParsedRow` per non-empty row.
pub fn parse(text: &str, max_rows: usize) -> Result<Vec<ParsedRow>, CsvError> {
    let mut records = records(text.strip_prefix('\u{feff}').unwrap_or(text), max_rows)?.into_iter();
    let (_, header) = records.next().ok_or(CsvError::NoTitleColumn)?;
    let named = |name: &str, h: &String| h.trim().eq_ignore_ascii_case(name);
    let column = |name: &str| header.iter().position(|h| named(name, h));
    // Read from one and the other dropped unseen, a second `notes` column
    // would lose what it holds.
    if let Some(name) = COLUMNS
        .into_iter()
        .find(|name| header.iter().filter(|h| named(name, h)).count() > 1)
    {
        return Err(CsvError::ColumnTwice(name));
    }
    let title = column("title").ok_or(CsvError::NoTitleColumn)?;
    let columns: BTreeMap<&str, usize> = COLUMNS
        .iter()
        .filter_map(|name| Some((*name, column(name)?)))
        .collect();
    Ok(records
        .map(|(line, fields)| {
            let field = |name: &str| {
                columns
                    .get(name)
                    .and_then(|&i| fields.get(i))
                    .map(|f| unescape_formula(f.trim()))
                    .unwrap_or_default()
            };
            row(line, fields.get(title).map_or("", |t| t.trim()), field)
        })
        .collect())
}

fn row<'a>(line: i64, title: &str, field: impl Fn(&str) -> &'a str) -> ParsedRow {
    let mut errors = FieldErrors::new();
    let bpm = match field("bpm") {
        "" => None,
        text => digits(text).or_else(|| {
            errors.insert("bpm".into(), "must be a whole number".into());
            None
        }),
    };
    let duration_secs = parse_minutes_seconds(field("length")).unwrap_or_else(|| {
        errors.insert("length".into(), "must be minutes:seconds, like 4:15".into());
        0
    });
    let song = LibrarySongInput {
        // A title (and its artist and key) is typed into, and matched from, a
        // one-line field, which cannot hold a break: an entry that kept one
        // could never be picked in the setlist editor (and a save there would
        // add a second entry).
        title: on_one_line(unescape_formula(title)),
        artist: on_one_line(field("artist")),
        key: on_one_line(field("key")),
        bpm,
        duration_secs,
        notes: field("notes").to_string(),
        tags: normalized_tags(field("tags").split(',')),
        version: None,
    };
    for (name, problem) in validate_library_song(&song) {
        let column = if name == "duration_secs" {
            "length".into()
        } else {
            name
        };
        errors.entry(column).or_insert(problem);
    }
    ParsedRow { line, song, errors }
}

/// Splits the text into records of fields, each with the line it starts on,
/// leaving out blank ones. Quoted fields may hold commas, doubled quotes and
/// line breaks. Past the header and `max_rows` more it stops, which stops a
/// huge file spending CPU: it is refused before any row of it is checked.
fn records(text: &str, max_rows: usize) -> Result<Vec<(i64, Vec<String>)>, CsvError> {
    let mut records = Vec::new();
    let mut keep = |line: i64, fields: Vec<String>| {
        if fields.iter().all(|f| f.trim().is_empty()) {
            return Ok(());
        }
        if records.len() > max_rows {
            return Err(CsvError::TooManyRows(max_rows));
        }
        records.push((line, fields));
        Ok(())
    };
    let (mut fields, mut field) = (Vec::new(), String::new());
    let (mut line, mut record_line) = (1i64, 1i64);
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(ch) = chars.next() {
        match (quoted, ch) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, ch) => {
                line += i64::from(ch == '\n');
                field.push(ch);
            }
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n' | '\r') => {
                fields.push(std::mem::take(&mut field));
                keep(record_line, std::mem::take(&mut fields))?;
                line += 1;
                record_line = line;
            }
            (false, ch) => field.push(ch),
        }
    }
    if quoted {
        return Err(CsvError::UnclosedQuote(record_line));
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        keep(record_line, fields)?;
    }
    Ok(records)
}

/// The library as a file, with the header `COLUMNS`.
pub fn export(songs: &[LibrarySong]) -> String {
    let mut out = COLUMNS.join(",");
    out.push_str("\r\n");
    for song in songs {
        let fields = [
            song.title.as_str(),
            &song.artist,
            &song.key,
            &song.bpm.map(|bpm| bpm.to_string()).unwrap_or_default(),
            &length_field(song.duration_secs),
            &song.tags.join(", "),
            &song.notes,
        ];
        let quoted: Vec<String> = fields.iter().map(|f| quote(&escape_formula(f))).collect();
        out.push_str(&quoted.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Every field is quoted: a spreadsheet that splits on `;` or tab (its
/// locale's separator) would otherwise read `x;=cmd|…` in one field as a
/// second cell starting with a formula.
fn quote(field: &str) -> String {
    format!("\"{}\"", field.replace('"', "\"\""))
}

/// How a cell a spreadsheet would run as a formula starts (OWASP's list: a
/// tab or carriage return first hides the `=` from a quick look).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether the export escapes `field`: it starts with a formula character,
/// or with apostrophes before one (`'-Til Dawn` must come back as itself,
/// not lose its `'` to the import's unescaping).
fn needs_escape(field: &str) -> bool {
    field.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// Stops CSV formula injection: a spreadsheet runs a cell that starts with
/// one of `FORMULA_STARTS` (a title like `=HYPERLINK(...)`), so the export
/// starts such a cell with `'`, which spreadsheets show as text…
fn escape_formula(field: &str) -> String {
    if needs_escape(field) {
        format!("'{field}")
    } else {
        field.to_string()
    }
}

/// …and the import takes that `'` off again, so a file round-trips.
fn unescape_formula(field: &str) -> &str {
    match field.strip_prefix('\'') {
        Some(rest) if needs_escape(rest) => rest,
        _ => field,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn songs(text: &str) -> Vec<ParsedRow> {
        parse(text, 100).unwrap()
    }

    #[test]
    fn columns_are_found_by_name_in_any_order_and_case() {
        let rows = songs("Artist,TITLE,Length,BPM\nFoo Fighters,Everlong,4:10,158\n");
        assert_eq!(rows.len(), 1);
        let song = &rows[0].song;
        assert_eq!(
            (song.title.as_str(), song.artist.as_str()),
            ("Everlong", "Foo Fighters")
        );
        assert_eq!((song.duration_secs, song.bpm), (250, Some(158)));
        assert!(rows[0].errors.is_empty());
    }

    #[test]
    fn a_title_artist_or_key_wrapped_onto_lines_comes_in_on_one() {
        let rows = songs(
            "title,artist,key,notes\n\"Multi\r\nline \n title\",\"The\u{2028}Band\",G,\"two\nlines\"\n",
        );
        assert_eq!(rows[0].song.title, "Multi line title");
        assert_eq!(rows[0].song.artist, "The Band");
        assert_eq!(rows[0].song.notes, "two\nlines", "notes keep their lines");
        assert!(rows[0].errors.is_empty());
    }

    #[test]
    fn quoted_fields_keep_commas_quotes_and_line_breaks() {
        let rows = songs(
            "title,notes,tags\r\n\"Hey, Jude\",\"say \"\"na\"\"\nlonger\",\"Ballad, Encore\"\r\nNext,,\r\n",
        );
        assert_eq!(rows[0].song.title, "Hey, Jude");
        assert_eq!(rows[0].song.notes, "say \"na\"\nlonger");
        assert_eq!(rows[0].song.tags, ["ballad", "encore"]);
        assert_eq!((rows[0].line, rows[1].line), (2, 4));
    }

    #[test]
    fn a_bad_row_names_its_line_and_columns() {
        let rows = songs("title,bpm,length\nGood,120,3:00\n,fast,4.15\n");
        assert!(rows[0].errors.is_empty());
        let bad = &rows[1];
        assert_eq!(bad.line, 3);
        assert_eq!(bad.errors["title"], "must not be empty");
        assert_eq!(bad.errors["bpm"], "must be a whole number");
        assert!(bad.errors["length"].contains("minutes:seconds"));
    }

    #[test]
    fn files_that_cannot_be_read_say_why() {
        assert_eq!(
            parse("artist\nx\n", 10).err(),
            Some(CsvError::NoTitleColumn)
        );
        assert_eq!(parse("", 10).err(), Some(CsvError::NoTitleColumn));
        assert_eq!(
            parse("title\n\"open\n", 10).err(),
            Some(CsvError::UnclosedQuote(2))
        );
        assert_eq!(
            parse("title\na\nb\nc\n", 2).err(),
            Some(CsvError::TooManyRows(2))
        );
        assert_eq!(
            parse("title,Notes,artist, notes\na,b,c,d\n", 10).err(),
            Some(CsvError::ColumnTwice("notes"))
        );
        // Blank rows are not songs, and do not count.
        assert_eq!(songs("\ntitle\na\n\n , \nb\n").len(), 2);
        assert_eq!(parse("title\na\n,\nb\n", 2).map(|rows| rows.len()), Ok(2));
    }

    fn entry(title: &str, notes: &str) -> LibrarySong {
        LibrarySong {
            id: "x".into(),
            title: title.into(),
            artist: String::new(),
            key: String::new(),
            bpm: None,
            duration_secs: 0,
            notes: notes.into(),
            drummer_notes: String::new(),
            tags: Vec::new(),
            version: 1,
            times_played: 0,
            last_played: None,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn an_export_imports_back_unchanged_formulas_included() {
        let song = LibrarySong {
            artist: "Band, The".into(),
            key: "Em".into(),
            bpm: Some(92),
            duration_secs: 255,
            tags: vec!["ballad".into(), "encore".into()],
            ..entry("=HYPERLINK(\"http://evil\")", "two\nlines")
        };
        let file = export(std::slice::from_ref(&song));
        assert!(
            file.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""),
            "{file}"
        );
        let back = songs(&file);
        let expected = LibrarySongInput {
            version: None,
            ..LibrarySongInput::from(&song)
        };
        assert_eq!(back[0].song, expected);
    }

    #[test]
    fn a_cell_that_starts_with_a_tab_or_return_is_escaped_too() {
        for start in FORMULA_STARTS {
            let cell = format!("{start}cmd");
            assert_eq!(escape_formula(&cell), format!("'{cell}"));
            assert_eq!(unescape_formula(&escape_formula(&cell)), cell);
        }
        assert_eq!(escape_formula("Everlong"), "Everlong");
    }

    #[test]
    fn titles_that_start_with_an_apostrophe_come_back_as_they_were() {
        for title in [
            "'-Til Dawn",
            "''=x",
            "'Round Midnight",
            "'",
            "Rock 'n' Roll",
        ] {
            assert_eq!(unescape_formula(&escape_formula(title)), title);
        }
        assert_eq!(escape_formula("'Round Midnight"), "'Round Midnight");
    }

    #[test]
    fn a_separator_in_a_field_cannot_start_a_cell_of_its_own() {
        let file = export(&[entry("Everlong", "see tab;=cmd|' /C calc'!A0")]);
        let row = file.lines().nth(1).unwrap();
        assert!(row.ends_with(",\"see tab;=cmd|' /C calc'!A0\""), "{row}");
        assert!(row.starts_with("\"Everlong\","), "{row}");
    }
}
