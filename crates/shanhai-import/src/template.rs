//! Downloadable templates: the kind's headers in Chinese (required ones marked `*`) and one
//! example row, as XLSX or as CSV in UTF-8 with a byte-order mark (so Excel and WPS open it as
//! Chinese text).

use crate::Column;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

fn header(c: &Column) -> String {
    if c.required {
        format!("{}*", c.zh)
    } else {
        c.zh.to_string()
    }
}

pub fn csv(columns: &[Column]) -> Vec<u8> {
    let mut out = b"\xef\xbb\xbf".to_vec();
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(columns.iter().map(header));
    let _ = writer.write_record(columns.iter().map(|c| c.example));
    out.extend(writer.into_inner().unwrap_or_default());
    out
}

pub fn xlsx(columns: &[Column]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    for (i, c) in columns.iter().enumerate() {
        let col = i as u16;
        sheet.set_column_width(col, 16)?;
        // Text cells, so dates and times stay as written rather than becoming serial numbers.
        sheet.set_column_format(col, &text)?;
        sheet.write_string_with_format(0, col, header(c), &bold)?;
        sheet.write_string_with_format(1, col, c.example, &text)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}
