//! Writes a synthetic CT slice (and its preview next to it) for trying uploads by hand:
//! `cargo run -p shanhai-files --example synthetic_ct -- out.dcm`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ct-synthetic.dcm".into());
    let study = shanhai_files::synthetic::SyntheticStudy {
        size: 128,
        ..Default::default()
    };
    std::fs::write(&out, shanhai_files::synthetic::ct_slice(&study))?;
    let parsed = shanhai_files::dicom::read(std::path::Path::new(&out))?;
    if let Ok(png) = parsed.preview {
        std::fs::write(format!("{out}.png"), png)?;
    }
    println!("{out}: {:?}", parsed.summary);
    Ok(())
}
