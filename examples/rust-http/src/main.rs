//! A small HTTP service for the distill demo: JSON on / and /health, port from $PORT (default
//! 8080). Standard library only, so it builds without a crate registry.
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{SystemTime, UNIX_EPOCH};

fn respond(mut stream: TcpStream, started: u64) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Drain the headers so the client sees a clean response.
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => continue,
            Err(_) => return,
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let (status, body) = match path {
        "/" => ("200 OK", format!("{{\"service\":\"rust-http\",\"message\":\"hello from a distroless container\",\"started\":{}}}", started)),
        "/health" => ("200 OK", "{\"status\":\"ok\"}".to_string()),
        _ => ("404 Not Found", "{\"error\":\"not found\"}".to_string()),
    };
    let body = body + "\n";
    let response = format!(
        "HTTP/1.1 {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
        status,
        body.len(),
        body
    );
    let _ = stream.write_all(response.as_bytes());
}

fn main() {
    let port = std::env::var("PORT").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "8080".to_string());
    let started = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let listener = TcpListener::bind(format!("0.0.0.0:{}", port)).expect("bind");
    println!("listening on :{}", port);
    for stream in listener.incoming().flatten() {
        thread::spawn(move || respond(stream, started));
    }
}
