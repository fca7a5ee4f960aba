fn main() {
    amavis_tune_web::mount();
}
