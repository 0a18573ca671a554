//! The integration tests, one module per former tests/*.rs file, in one binary: linking the crate once
//! instead of once per file is most of a clean build's test time. A file keeps a binary of its own only
//! with a reason, given at its top (tests/formula_alloc.rs installs a counting global allocator).

mod adaptive;
mod adaptive_eos_scenario;
mod adaptive_sharpness;
mod bad_inputs;
mod budget;
mod cli;
mod data;
mod determinism;
mod diagnostics;
mod docs_consistency;
mod eos_scenario;
mod experiment;
mod figures;
mod fixed_state;
mod formats;
mod fuzz_csv;
mod fuzz_formula;
mod fuzz_scenario;
mod gd_lanes;
mod gd_record_lanes;
mod golden;
mod golden_roundoff;
mod golden_stochastic;
mod kill;
mod layers;
mod method_scenarios;
mod methods;
mod numerical_faults;
mod objectives_functions;
mod objectives_networks;
mod objectives_regression;
mod order_of_accuracy;
mod order_study;
mod output_safety;
mod quadratic_closed_form;
mod replot;
mod scenario_claims;
mod scenarios;
mod sgd_sme;
mod svg_font;
mod sweep;
mod sweep_lanes;
mod sweep_reliability;
mod trainability;
