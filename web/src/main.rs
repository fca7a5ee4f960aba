fn main() {
    // In debug builds, a panic's message goes to the browser console (release builds have none
    // reachable from any input: every field is parsed by core, which returns errors).
    #[cfg(debug_assertions)]
    std::panic::set_hook(Box::new(|info| web_sys::console::error_1(&info.to_string().into())));
    amavis_tune_web::mount();
}
