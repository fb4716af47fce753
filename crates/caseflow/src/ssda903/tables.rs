//! Reading an SSDA903 return: its CSV tables, each told by its columns (the DfE guide's names),
//! whatever the files are called.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use time::{Date, Month};

/// The tables of the return caseflow reads. The others (UASC, Missing, PrevPerm) hold facts no
/// event carries; they are recognised and counted, not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    Header,
    Episodes,
    Reviews,
    Oc2,
    Oc3,
    Ad1,
    PlacedAdoption,
    SwEpisodes,
    Uasc,
    Missing,
    PrevPerm,
}

impl Table {
    pub const ALL: [Table; 11] = [
        Table::Header,
        Table::Episodes,
        Table::Reviews,
        Table::Oc2,
        Table::Oc3,
        Table::Ad1,
        Table::PlacedAdoption,
        Table::SwEpisodes,
        Table::Uasc,
        Table::Missing,
        Table::PrevPerm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::Header => "Header",
            Table::Episodes => "Episodes",
            Table::Reviews => "Reviews",
            Table::Oc2 => "OC2",
            Table::Oc3 => "OC3",
            Table::Ad1 => "AD1",
            Table::PlacedAdoption => "PlacedAdoption",
            Table::SwEpisodes => "SWEpisodes",
            Table::Uasc => "UASC",
            Table::Missing => "Missing",
            Table::PrevPerm => "PrevPerm",
        }
    }

    /// The table's columns as the DfE guide names them, in order (an export leaves those no
    /// event fills empty).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Table::Header => &["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
            Table::Episodes => &EPISODES,
            Table::Reviews => &["CHILD", "DOB", "REVIEW", "REVIEW_CODE"],
            Table::Oc2 => &[
                "CHILD",
                "DOB",
                "SDQ_SCORE",
                "SDQ_REASON",
                "CONVICTED",
                "HEALTH_CHECK",
                "IMMUNISATIONS",
                "TEETH_CHECK",
                "HEALTH_ASSESSMENT",
                "SUBSTANCE_MISUSE",
                "INTERVENTION_RECEIVED",
                "INTERVENTION_OFFERED",
            ],
            Table::Oc3 => &["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"],
            Table::Ad1 => &[
                "CHILD",
                "DOB",
                "DATE_INT",
                "DATE_MATCH",
                "FOSTER_CARE",
                "NB_ADOPTR",
                "SEX_ADOPTR",
                "LS_ADOPTR",
            ],
            Table::PlacedAdoption => &[
                "CHILD",
                "DOB",
                "DATE_PLACED",
                "DATE_PLACED_CEASED",
                "REASON_PLACED_CEASED",
            ],
            Table::SwEpisodes => &["CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"],
            Table::Uasc => &["CHILD", "SEX", "DOB", "DUC"],
            Table::Missing => &["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"],
            Table::PrevPerm => &["CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"],
        }
    }

    /// The columns caseflow needs from the table (all of them must be present).
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Table::Header => &["CHILD", "SEX", "DOB"],
            // All but the postcodes and the URN.
            Table::Episodes => &EPISODES[..10],
            Table::Reviews => &["CHILD", "REVIEW", "REVIEW_CODE"],
            Table::Oc2 => &["CHILD", "HEALTH_ASSESSMENT", "TEETH_CHECK"],
            Table::Oc3 => &["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"],
            Table::Ad1 => &["CHILD", "DATE_INT", "DATE_MATCH"],
            Table::PlacedAdoption => &[
                "CHILD",
                "DATE_PLACED",
                "DATE_PLACED_CEASED",
                "REASON_PLACED_CEASED",
            ],
            Table::SwEpisodes => &["CHILD", "SW_ID", "SW_DECOM"],
            Table::Uasc => &["CHILD", "DUC"],
            Table::Missing => &["CHILD", "MIS_START"],
            Table::PrevPerm => &["CHILD", "PREV_PERM"],
        }
    }

    /// The table whose columns these are: the one column only it has.
    fn recognise(columns: &[String]) -> Option<Table> {
        let has = |c: &str| columns.iter().any(|k| k == c);
        Some(if has("DECOM") && has("RNE") {
            Table::Episodes
        } else if has("REVIEW") {
            Table::Reviews
        } else if has("HEALTH_ASSESSMENT") || has("HEALTH_CHECK") {
            Table::Oc2
        } else if has("IN_TOUCH") {
            Table::Oc3
        } else if has("DATE_INT") {
            Table::Ad1
        } else if has("DATE_PLACED") {
            Table::PlacedAdoption
        } else if has("SW_ID") {
            Table::SwEpisodes
        } else if has("DUC") {
            Table::Uasc
        } else if has("MIS_START") || has("MISSING") {
            Table::Missing
        } else if has("PREV_PERM") {
            Table::PrevPerm
        } else if has("CHILD") && has("SEX") && has("DOB") {
            Table::Header
        } else {
            return None;
        })
    }
}

/// The Episodes table's columns.
pub const EPISODES: [&str; 13] = [
    "CHILD",
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
    "HOME_POST",
    "PL_POST",
    "URN",
];

/// Where a row came from: its file and line (the header is line 1).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    pub file: PathBuf,
    pub line: u64,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// One row: its values by column (trimmed; empty cells absent).
#[derive(Clone, Debug)]
pub struct Row {
    pub origin: Origin,
    values: BTreeMap<String, String>,
}

impl Row {
    /// The value in `column`, if the cell is not empty.
    pub fn get(&self, column: &str) -> Option<&str> {
        self.values.get(column).map(String::as_str)
    }

    #[cfg(test)]
    pub fn of(file: &str, line: u64, cells: &[(&str, &str)]) -> Row {
        Row {
            origin: Origin {
                file: file.into(),
                line,
            },
            values: cells
                .iter()
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(k, v)| ((*k).to_owned(), v.trim().to_owned()))
                .collect(),
        }
    }
}

/// One year's return: the tables found in a folder (or among the files given in one folder).
#[derive(Debug, Default)]
pub struct Return {
    /// Where it was read from.
    pub source: PathBuf,
    pub tables: BTreeMap<Table, Vec<Row>>,
}

impl Return {
    pub fn rows(&self, table: Table) -> &[Row] {
        self.tables.get(&table).map_or(&[], Vec::as_slice)
    }
}

/// Why files could not be read as a return.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not CSV: {source}", path.display())]
    Csv { path: PathBuf, source: csv::Error },
    #[error(
        "{}: not an SSDA903 table (columns {columns}); expected the DfE guide's column names, \
         e.g. Episodes: CHILD, DECOM, RNE, LS, CIN, PLACE, PLACE_PROVIDER, DEC, REC, \
         REASON_PLACE_CHANGE",
        path.display()
    )]
    Unrecognised { path: PathBuf, columns: String },
    #[error("{}: the {table} table lacks the column {column}", path.display())]
    MissingColumn {
        path: PathBuf,
        table: &'static str,
        column: &'static str,
    },
    #[error("{} and {}: two {table} tables in one return", first.display(), second.display())]
    TwoTables {
        first: PathBuf,
        second: PathBuf,
        table: &'static str,
    },
    #[error("{}: no CSV files", path.display())]
    Empty { path: PathBuf },
}

/// The returns in `paths`: each folder is one year's return (its `.csv` files), and files given
/// directly form one return per folder they are in.
pub fn read_returns(paths: &[PathBuf]) -> Result<Vec<Return>, ReadError> {
    let mut groups: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|source| ReadError::Io {
                path: path.clone(),
                source,
            })?;
            let mut files = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|source| ReadError::Io {
                    path: path.clone(),
                    source,
                })?;
                let file = entry.path();
                let csv = file
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
                if csv && file.is_file() {
                    files.push(file);
                }
            }
            if files.is_empty() {
                return Err(ReadError::Empty { path: path.clone() });
            }
            groups.entry(path.clone()).or_default().extend(files);
        } else {
            let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
            groups.entry(folder).or_default().push(path.clone());
        }
    }
    let mut returns = Vec::new();
    for (source, mut files) in groups {
        files.sort();
        files.dedup();
        let mut read = Return {
            source,
            tables: BTreeMap::new(),
        };
        let mut seen: BTreeMap<Table, PathBuf> = BTreeMap::new();
        for file in files {
            let text = std::fs::read(&file).map_err(|source| ReadError::Io {
                path: file.clone(),
                source,
            })?;
            let (table, rows) = read_table(&file, &text)?;
            if let Some(first) = seen.insert(table, file.clone()) {
                return Err(ReadError::TwoTables {
                    first,
                    second: file,
                    table: table.name(),
                });
            }
            read.tables.insert(table, rows);
        }
        returns.push(read);
    }
    Ok(returns)
}

/// One CSV file: which table it is, and its rows.
pub fn read_table(file: &Path, text: &[u8]) -> Result<(Table, Vec<Row>), ReadError> {
    let csv_err = |source| ReadError::Csv {
        path: file.to_owned(),
        source,
    };
    // Spreadsheets save CSV with a byte-order mark.
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let columns: Vec<String> = reader
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(|c| c.trim().to_ascii_uppercase())
        .collect();
    let table = Table::recognise(&columns).ok_or_else(|| ReadError::Unrecognised {
        path: file.to_owned(),
        columns: columns.join(", "),
    })?;
    if let Some(column) = table
        .required()
        .iter()
        .find(|c| !columns.iter().any(|k| k == *c))
    {
        return Err(ReadError::MissingColumn {
            path: file.to_owned(),
            table: table.name(),
            column,
        });
    }
    // Line numbers from the record's first byte (the reader's own count is one short after
    // a header ended with CRLF).
    let newlines: Vec<usize> = newlines_in(text);
    let line_at = |byte: u64| {
        // The reader may place a record at the line end before it.
        let mut byte = usize::try_from(byte).unwrap_or(usize::MAX);
        while matches!(text.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        newlines.partition_point(|&n| n < byte) as u64 + 1
    };
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_err)?;
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        let values = columns
            .iter()
            .zip(record.iter())
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k.clone(), v.trim().to_owned()))
            .collect::<BTreeMap<_, _>>();
        if values.is_empty() {
            continue;
        }
        rows.push(Row {
            origin: Origin {
                file: file.to_owned(),
                line,
            },
            values,
        });
    }
    Ok((table, rows))
}

/// The offsets of every `\n` in `text`.
fn newlines_in(text: &[u8]) -> Vec<usize> {
    text.iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
        .collect()
}

/// A date as the DfE publishes it (`dd/mm/yyyy`) or ISO (`yyyy-mm-dd`); a time of day after a
/// space (spreadsheets add `00:00:00`) is ignored.
pub fn parse_date(s: &str) -> Option<Date> {
    let s = s.split_whitespace().next()?;
    let (y, m, d) = if let [d, m, y] = s.split('/').collect::<Vec<_>>()[..] {
        (y, m, d)
    } else if let [y, m, d] = s.split('-').collect::<Vec<_>>()[..] {
        (y, m, d)
    } else {
        return None;
    };
    if y.len() != 4 || m.is_empty() || m.len() > 2 || d.is_empty() || d.len() > 2 {
        return None;
    }
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_published_and_iso() {
        let may14 = time::macros::date!(2018 - 05 - 14);
        assert_eq!(parse_date("14/05/2018"), Some(may14));
        assert_eq!(parse_date("14/5/2018"), Some(may14));
        assert_eq!(parse_date("2018-05-14"), Some(may14));
        assert_eq!(parse_date("14/05/2018 00:00:00"), Some(may14));
        assert_eq!(parse_date("31/02/2018"), None);
        assert_eq!(parse_date("14/05/18"), None);
        assert_eq!(parse_date("2018/05/14"), None);
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date(""), None);
    }

    #[test]
    fn tables_are_told_by_their_columns() {
        let episodes = b"\xEF\xBB\xBFCHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n\
            C1,01/04/2017,S,C2,N1,U4,PR1,,,,AB1,AB2,SC1\n\n";
        let (table, rows) = read_table(Path::new("x.csv"), episodes).unwrap();
        assert_eq!(table, Table::Episodes);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].origin.line, 2);
        assert_eq!(rows[0].get("RNE"), Some("S"));
        assert_eq!(rows[0].get("DEC"), None);
        let header = b"child,sex,dob,ETHNIC,UPN,MOTHER,MC_DOB\nC1,1,03/02/2010,WBRI,,,\n";
        assert_eq!(
            read_table(Path::new("h.csv"), header).unwrap().0,
            Table::Header
        );
        let missing = b"CHILD,DECOM,RNE\nC1,01/04/2017,S\n";
        assert!(matches!(
            read_table(Path::new("e.csv"), missing),
            Err(ReadError::MissingColumn { column: "LS", .. })
        ));
        let crlf = b"CHILD,SEX,DOB\r\nC1,1,03/02/2010\r\nC2,1,03/02/2010\r\nC3,1,03/02/2010\r\n";
        let lines: Vec<u64> = read_table(Path::new("h.csv"), crlf)
            .unwrap()
            .1
            .iter()
            .map(|r| r.origin.line)
            .collect();
        assert_eq!(lines, vec![2, 3, 4]);
        assert!(matches!(
            read_table(Path::new("n.csv"), b"A,B\n1,2\n"),
            Err(ReadError::Unrecognised { .. })
        ));
    }
}
