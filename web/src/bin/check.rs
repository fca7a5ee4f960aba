//! The second module: the check and log views, loaded by the calculator when one is opened.

fn main() {
    #[cfg(debug_assertions)]
    std::panic::set_hook(Box::new(|info| web_sys::console::error_1(&info.to_string().into())));
    amavis_tune_web::mount_check();
}
