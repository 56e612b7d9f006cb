//! The import's CSV, the same one an export writes: one row per variant, the rows of one
//! product sharing its `product` column (its web address). Product columns may be repeated on
//! each of its rows or left blank after the first; a row that gives another value is an
//! error. A blank cell, or a column left out of the header, keeps what a stored product has.
//!
//! - `attributes`: `name: value` pairs separated by `;` ("material: stoneware; origin: PT").
//! - `options`: `name: value` pairs separated by `,` ("size: M, colour: red"), as in the form.
//! - `price`: "12" or "12.50", in `currency` (EUR when the column is left out).
//! - `opening_stock`: units a new variant starts with; a stored variant's stock moves only on
//!   the inventory page, so re-importing never changes it.
//! - `images`: file names in the ZIP, separated by `;`, main image first; blank keeps the
//!   product's images. A name that is already one of the product's stored files (as an export
//!   writes them) keeps that image without a ZIP.

use std::collections::HashMap;

use serde::Deserialize;
use sqlx::PgPool;

use crate::types::{options_text, ImportError, Money, IMPORT_COLUMNS};

/// The most rows one file may hold.
pub const MAX_ROWS: usize = 100_000;

/// One row as read, with the line it came from. `None`: the column is not in the file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CsvRow {
    #[serde(skip)]
    pub line: u32,
    #[serde(default)]
    pub product: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub attributes: Option<String>,
    #[serde(default)]
    pub sku: String,
    pub options: Option<String>,
    #[serde(default)]
    pub price: String,
    pub currency: Option<String>,
    pub opening_stock: Option<String>,
    pub images: Option<String>,
}

impl CsvRow {
    /// The SKU as the catalog stores it.
    pub fn sku(&self) -> String {
        self.sku.trim().to_uppercase()
    }
}

/// The rows of one product, in the file's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvProduct {
    /// The `product` column: its web address.
    pub key: String,
    pub rows: Vec<CsvRow>,
}

impl CsvProduct {
    pub fn first_line(&self) -> u32 {
        self.rows[0].line
    }

    /// The product column `column` of `row`, when the file has that column.
    fn cell<'a>(row: &'a CsvRow, column: &str) -> Option<&'a str> {
        match column {
            "name" => row.name.as_deref(),
            "description" => row.description.as_deref(),
            "category" => row.category.as_deref(),
            "attributes" => row.attributes.as_deref(),
            "images" => row.images.as_deref(),
            _ => None,
        }
    }

    /// The product's value of `column` (its first non-blank cell; `None` when every cell is
    /// blank or the file has no such column), or the line of a row that disagrees.
    pub fn value(&self, column: &str) -> Result<Option<String>, (u32, String)> {
        let mut cells = self.rows.iter().filter_map(|row| {
            Self::cell(row, column).map(|cell| (row.line, cell.trim().to_owned()))
        });
        let Some((mut line, mut value)) = cells.next() else {
            return Ok(None);
        };
        for (other_line, cell) in cells {
            if cell.is_empty() {
                continue;
            }
            if value.is_empty() {
                (line, value) = (other_line, cell);
            } else if cell != value {
                return Err((
                    other_line,
                    format!(
                        "Differs from line {line} of this product: leave it blank or the same."
                    ),
                ));
            }
        }
        Ok(Some(value).filter(|value| !value.is_empty()))
    }
}

/// The file read into products (grouped by `product`, in order of first appearance) and its
/// number of rows, or why the file as a whole cannot be imported.
pub fn read(csv: &str) -> Result<(Vec<CsvProduct>, usize), ImportError> {
    let bad = |message: String| ImportError::BadCsv(message);
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::Headers).from_reader(csv.as_bytes());
    let headers = reader.headers().map_err(|err| bad(format!("the header row: {err}")))?.clone();
    let mut seen = Vec::new();
    for header in headers.iter() {
        let header = header.trim_start_matches('\u{feff}');
        if !IMPORT_COLUMNS.contains(&header) {
            return Err(bad(format!(
                "unknown column \"{header}\"; the columns are {}",
                IMPORT_COLUMNS.join(", ")
            )));
        }
        if seen.contains(&header) {
            return Err(bad(format!("the column \"{header}\" appears twice")));
        }
        seen.push(header);
    }
    for required in ["product", "sku", "price"] {
        if !seen.contains(&required) {
            return Err(bad(format!("the column \"{required}\" is missing")));
        }
    }
    // A byte-order mark some spreadsheets write stays out of the first column's name.
    let headers: csv::StringRecord =
        headers.iter().map(|header| header.trim_start_matches('\u{feff}')).collect();

    let mut products: Vec<CsvProduct> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut rows = 0;
    for record in reader.records() {
        let record = record.map_err(|err| bad(err.to_string()))?;
        let line = record.position().map_or(0, |position| position.line() as u32);
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        rows += 1;
        if rows > MAX_ROWS {
            return Err(bad(format!("it has more than {MAX_ROWS} rows; split it")));
        }
        let mut row: CsvRow =
            record.deserialize(Some(&headers)).map_err(|err| bad(format!("line {line}: {err}")))?;
        row.line = line;
        let key = row.product.trim().to_owned();
        match index.get(&key) {
            Some(&at) => products[at].rows.push(row),
            None => {
                index.insert(key.clone(), products.len());
                products.push(CsvProduct { key, rows: vec![row] });
            }
        }
    }
    if rows == 0 {
        return Err(bad("it has no rows under its header".to_owned()));
    }
    Ok((products, rows))
}

/// The catalog (products not archived) as an import file: every column, a row per variant.
/// Importing it back changes nothing.
pub async fn write(pool: &PgPool) -> Result<String, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        SELECT p.slug, p.name, p.description, c.slug AS category, p.attributes,
               v.sku, v.options, v.price_minor, v.currency, v.on_hand,
               (SELECT string_agg(regexp_replace(i.storage_key, '^.*/', ''), '; ' ORDER BY i.position)
                FROM product_images i WHERE i.product_id = p.id) AS images
        FROM products p
        JOIN categories c ON c.id = p.category_id
        JOIN product_variants v ON v.product_id = p.id
        WHERE p.archived_at IS NULL
        ORDER BY p.slug, v.position, v.sku
        "#
    )
    .fetch_all(pool)
    .await?;
    // Writing into memory cannot fail.
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(IMPORT_COLUMNS).expect("writing CSV into memory");
    for row in rows {
        let attributes: std::collections::BTreeMap<String, String> =
            serde_json::from_value(row.attributes).unwrap_or_default();
        let attributes: Vec<String> =
            attributes.iter().map(|(name, value)| format!("{name}: {value}")).collect();
        let options = serde_json::from_value(row.options).unwrap_or_default();
        writer
            .write_record([
                row.slug,
                row.name,
                row.description,
                row.category,
                attributes.join("; "),
                row.sku,
                options_text(&options),
                Money::plain(row.price_minor),
                row.currency,
                row.on_hand.to_string(),
                row.images.unwrap_or_default(),
            ])
            .expect("writing CSV into memory");
    }
    let bytes = writer.into_inner().expect("an in-memory writer");
    Ok(String::from_utf8(bytes).expect("CSV of UTF-8 strings is UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
product,name,category,sku,price,options
blue-mug,Blue mug,kitchen,MUG-S,12,size: S
blue-mug,,,mug-m,13.50,size: M
teapot,Teapot,kitchen,TEAPOT,30,
";

    #[test]
    fn rows_are_grouped_by_product_with_their_lines() {
        let (products, rows) = read(FILE).unwrap();
        assert_eq!(rows, 3);
        assert_eq!(products.len(), 2);
        assert_eq!(products[0].key, "blue-mug");
        assert_eq!(products[0].rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(products[0].rows[1].sku(), "MUG-M");
        assert_eq!(products[0].value("name").unwrap().as_deref(), Some("Blue mug"));
        assert_eq!(products[0].value("description").unwrap(), None, "no such column");
        assert_eq!(products[1].first_line(), 4);
    }

    #[test]
    fn a_row_that_disagrees_on_a_product_column_is_named() {
        let file = "product,name,sku,price\nmug,Mug,MUG-S,1\nmug,Cup,MUG-M,1\n";
        let (products, _) = read(file).unwrap();
        let (line, message) = products[0].value("name").unwrap_err();
        assert_eq!(line, 3);
        assert!(message.contains("line 2"), "{message}");
    }

    #[test]
    fn files_that_cannot_be_imported_say_why() {
        let refused = |file: &str| match read(file) {
            Err(ImportError::BadCsv(message)) => message,
            other => panic!("{other:?}"),
        };
        assert!(refused("product,sku,prize\nmug,MUG,1\n").contains("unknown column \"prize\""));
        assert!(refused("product,sku\nmug,MUG\n").contains("\"price\" is missing"));
        assert!(refused("product,sku,price\n").contains("no rows"));
        assert!(refused("product,sku,price,sku\nmug,MUG,1,MUG\n").contains("twice"));
    }

    #[test]
    fn a_spreadsheet_byte_order_mark_is_not_part_of_the_first_column() {
        let (products, _) = read("\u{feff}product,sku,price\nmug,MUG,1\n").unwrap();
        assert_eq!(products[0].key, "mug");
    }
}
