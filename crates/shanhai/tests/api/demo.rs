//! The whole demo, loaded once for the suite (about 15 s on SQLite and 45 s on PostgreSQL in a
//! debug build): its consultations, MDT sessions and referrals reach the scale of the seed
//! articles and hold together, the demo accounts find something in their inbox, and loading it
//! again changes nothing. Each seed program's briefing is checked on the same load
//! (`briefing::each_seed_programs_briefing_quotes_its_articles_headline_figures`).

use shanhai_demo::{Loaded, Outcome, load};
use shanhai_store::consultations::awaiting;
use shanhai_store::crypto::PatientCipher;
use shanhai_store::query::{self, int, opt_text, text};
use shanhai_store::referrals::{self, ReferralFilter};
use shanhai_store::{Db, users};

async fn count(db: &Db, sql: &str) -> i64 {
    let row = query::sql_with(sql.into(), vec![])
        .fetch_one(db.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    int(&row, "n").expect("n")
}

/// Loads the demo into a fresh database: what was loaded.
pub async fn load_once(db: &Db, cipher: &PatientCipher) -> Loaded {
    let started = std::time::Instant::now();
    let Outcome::Loaded(loaded) = load(db, cipher).await.expect("demo loads") else {
        panic!("a fresh database already had the demo")
    };
    eprintln!("demo loaded in {:?}", started.elapsed());
    loaded
}

/// The demo's consultations and referrals at the seed scale; loading again changes nothing.
pub async fn has_consultations_and_referrals_at_the_seed_scale(
    db: &Db,
    cipher: &PatientCipher,
    loaded: &Loaded,
) {
    assert!(loaded.consultations > 10_000, "{}", loaded.consultations);
    assert!(loaded.referrals > 3_000, "{}", loaded.referrals);

    // 沪滇 5500+ 会诊和疑难病例讨论; 豫哈 3000+ 疑难病例讨论及多学科会诊.
    let by_program = |program: &'static str| {
        format!(
            "SELECT COUNT(*) AS n FROM consultations c JOIN programs p ON p.id = c.program_id \
             WHERE p.name LIKE '%{program}%'"
        )
    };
    assert!(count(db, &by_program("沪滇")).await >= 5_500);
    assert!(count(db, &by_program("豫哈")).await >= 3_000);
    assert!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM consultations c JOIN programs p ON p.id = c.program_id \
             WHERE p.name LIKE '%豫哈%' AND c.type IN ('difficult-case', 'mdt')"
        )
        .await
            >= 2_000
    );
    // Every consultation knows its program and deadlines; the targets follow urgency.
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM consultations WHERE program_id IS NULL \
             OR accept_due_at IS NULL OR report_due_at IS NULL OR accept_due_at <= requested_at \
             OR report_due_at < accept_due_at"
        )
        .await,
        0
    );
    // MDT: 2–4 experts, one chair; every consultation has exactly one chair.
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM (SELECT c.id, c.type, COUNT(e.id) AS experts, \
             SUM(e.chair) AS chairs FROM consultations c JOIN consultation_experts e \
             ON e.consultation_id = c.id GROUP BY c.id, c.type) x \
             WHERE x.chairs <> 1 OR (x.type = 'mdt' AND (x.experts < 2 OR x.experts > 4))"
        )
        .await,
        0
    );
    // Experts are people of the consulted hospital.
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM consultation_experts e \
             JOIN consultations c ON c.id = e.consultation_id JOIN people p ON p.id = e.person_id \
             WHERE p.institution_id <> c.target_institution_id"
        )
        .await,
        0
    );
    // Closed ones carry a signed opinion and the requester's decision; some were amended.
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM consultations c WHERE c.state IN ('signed', 'closed') \
             AND NOT EXISTS (SELECT 1 FROM consultation_opinions o WHERE o.consultation_id = c.id)"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM consultations WHERE state = 'closed' AND decision IS NULL"
        )
        .await,
        0
    );
    assert!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM consultation_opinions WHERE version = 2"
        )
        .await
            > 0
    );
    // Every consultation's timeline starts with the request and ends in its state.
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM consultations c WHERE c.state <> (SELECT e.to_state FROM \
             consultation_events e WHERE e.consultation_id = c.id ORDER BY e.at DESC, e.id DESC \
             LIMIT 1)"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM referrals r WHERE r.state <> (SELECT e.to_state FROM \
             referral_events e WHERE e.referral_id = r.id ORDER BY e.at DESC, e.id DESC LIMIT 1)"
        )
        .await,
        0
    );
    // Some still open, a few overdue, none in the future.
    let open = count(
        db,
        "SELECT COUNT(*) AS n FROM consultations WHERE state IN ('requested', 'accepted', \
         'scheduled', 'held', 'signed')",
    )
    .await;
    assert!((20..=200).contains(&open), "{open}");
    let now = shanhai_store::now();
    assert_eq!(
        count(
            db,
            &format!("SELECT COUNT(*) AS n FROM consultation_events WHERE at > '{now}'")
        )
        .await,
        0
    );

    // Patient details are stored encrypted and shown masked.
    let row = query::sql_with(
        "SELECT patient_name_enc, patient_name_masked, patient_id_number_enc, \
         patient_id_number_masked FROM consultations WHERE patient_id_number_enc IS NOT NULL \
         LIMIT 1"
            .into(),
        vec![],
    )
    .fetch_one(db.pool())
    .await
    .expect("ok");
    let name = cipher
        .decrypt(&text(&row, "patient_name_enc").expect("ok"))
        .expect("decrypts");
    assert_eq!(
        shanhai_domain::bookings::mask_name(&name),
        text(&row, "patient_name_masked").expect("ok")
    );
    let id_number = cipher
        .decrypt(
            &opt_text(&row, "patient_id_number_enc")
                .expect("ok")
                .expect("ok"),
        )
        .expect("ok");
    let parsed = shanhai_domain::bookings::IdNumber::parse("id", &id_number).expect("valid ID");
    assert_eq!(
        Some(parsed.masked()),
        opt_text(&row, "patient_id_number_masked").expect("ok")
    );

    // Referrals: figures per program; 300+ tumour patients back in 昭通.
    let hu_dian = loaded.programs["hu-dian"].clone();
    let figures = referrals::figures(
        db,
        &ReferralFilter {
            program: Some(hu_dian),
            ..Default::default()
        },
    )
    .await
    .expect("ok");
    assert!(figures.up > 0 && figures.down > 0, "{figures:?}");
    assert!(figures.returned >= 300, "{figures:?}");
    let dianbei = loaded.institutions["zt-dianbei"].clone();
    assert!(
        count(
            db,
            &format!(
                "SELECT COUNT(*) AS n FROM referrals r JOIN departments d ON d.id = r.to_department_id \
                 WHERE r.to_institution_id = '{dianbei}' AND r.direction = 'down' \
                 AND r.state = 'closed' AND d.specialty_code = '19'"
            )
        )
        .await
            >= 300
    );
    let jing_meng = referrals::figures(
        db,
        &ReferralFilter {
            program: Some(loaded.programs["jing-meng"].clone()),
            ..Default::default()
        },
    )
    .await
    .expect("ok");
    assert!(
        jing_meng.staying_in_region > jing_meng.leaving_region,
        "大病不出区: {jing_meng:?}"
    );
    assert!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM referrals WHERE consultation_id IS NOT NULL"
        )
        .await
            > 100
    );
    assert!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM referrals WHERE clinic_session_id IS NOT NULL"
        )
        .await
            > 0
    );
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM referrals WHERE program_id IS NULL"
        )
        .await,
        0
    );

    // The demo accounts have something to act on.
    let expert = users::find_by_username(db, "expert")
        .await
        .expect("ok")
        .expect("ok");
    let clinician = users::find_by_username(db, "clinician")
        .await
        .expect("ok")
        .expect("ok");
    let henan = loaded.institutions["hn-people"].clone();
    let hongxing = loaded.institutions["hm-hongxing"].clone();
    let for_expert = awaiting(db, None, expert.person_id.as_deref())
        .await
        .expect("ok");
    assert!(
        for_expert
            .iter()
            .filter(|c| c.requesting_institution_id == hongxing)
            .count()
            >= 4,
        "{}",
        for_expert.len()
    );
    let for_clinician = awaiting(db, clinician.institution_id.as_deref(), None)
        .await
        .expect("ok");
    assert!(
        for_clinician
            .iter()
            .any(|c| c.state.code() == "signed" && c.requesting_institution_id == hongxing)
    );
    assert!(
        !referrals::awaiting(db, &henan)
            .await
            .expect("ok")
            .is_empty()
    );
    assert!(
        !referrals::awaiting(db, &hongxing)
            .await
            .expect("ok")
            .is_empty()
    );

    // The hook for synthetic DICOM studies: five imaging consultations.
    assert_eq!(loaded.imaging_consultations.len(), 5);
    for id in &loaded.imaging_consultations {
        let row = query::sql_with(
            "SELECT type FROM consultations WHERE id = $1".into(),
            vec![id.clone().into()],
        )
        .fetch_one(db.pool())
        .await
        .expect("ok");
        assert_eq!(text(&row, "type").expect("ok"), "imaging");
    }

    // Demo records a clinician would trust: no hospital introduces one technique twice, and
    // the synthetic chest CTs go to chest cases only (the imaging consultations above are
    // routed to a chest-related or imaging specialty).
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM (SELECT institution_id, name FROM techniques \
             GROUP BY institution_id, name HAVING COUNT(*) > 1) d"
        )
        .await,
        0,
        "a hospital introduces the same technique twice"
    );
    for id in &loaded.imaging_consultations {
        let row = query::sql_with(
            "SELECT target_specialty_code FROM consultations WHERE id = $1".into(),
            vec![id.clone().into()],
        )
        .fetch_one(db.pool())
        .await
        .expect("ok");
        let code = opt_text(&row, "target_specialty_code")
            .expect("ok")
            .unwrap_or_default();
        assert!(
            ["01", "02", "03"].contains(&code.as_str())
                || ["03.01", "03.04", "04.05", "19", "32"]
                    .iter()
                    .any(|p| code.starts_with(p)),
            "a chest CT routed to specialty {code}"
        );
    }

    // Loading again changes nothing.
    assert!(matches!(
        load(db, cipher).await.expect("second load"),
        Outcome::AlreadyThere
    ));
}

/// The dashboard's compositions by dispatch scheme and by specialty add up to the assignments
/// and techniques the roll-ups count, for each program and for all of them together.
pub async fn compositions_add_up_to_the_roll_ups(db: &Db, loaded: &Loaded) {
    use shanhai_store::{composition, rollups};
    let mut scopes: Vec<rollups::Scope> = loaded
        .programs
        .values()
        .map(|p| rollups::Scope {
            program: Some(p.clone()),
            until: shanhai_store::today().to_string(),
            ..Default::default()
        })
        .collect();
    scopes.push(rollups::Scope {
        until: shanhai_store::today().to_string(),
        region: Some("150000".into()),
        ..Default::default()
    });
    for scope in scopes {
        let sum = |parts: Vec<(String, i64)>| parts.iter().map(|(_, n)| n).sum::<i64>();
        let by_scheme = composition::assignments_by_scheme(db, &scope)
            .await
            .expect("by scheme");
        let by_specialty = composition::techniques_by_specialty(db, &scope)
            .await
            .expect("by specialty");
        assert_eq!(
            sum(by_scheme),
            rollups::total(db, &scope, "assignments")
                .await
                .expect("total"),
            "{scope:?}"
        );
        assert_eq!(
            sum(by_specialty),
            rollups::total(db, &scope, "techniques")
                .await
                .expect("total"),
            "{scope:?}"
        );
    }
}
