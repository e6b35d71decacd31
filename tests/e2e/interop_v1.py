#!/usr/bin/python3
"""Independent v1 (and vector) implementation for the interop test, after the seed's
Python helper crypto_e2ee.py: PBKDF2HMAC SHA-256, 32 bytes, 100 000 iterations;
AESGCM(key) with no AAD; standard base64; JSON plaintext.

Reads one JSON request on stdin and writes one JSON reply on stdout:
  {"mode": "decrypt", "passphrase": p, "blocks": [...]}  -> {"results": [{"ok": value} | {"error": name}]}
  {"mode": "encrypt", "passphrase": p, "objects": [...]} -> {"blocks": [...]}
  {"mode": "vectors", "v1": {...}, "v2": {...}}          -> {"checked": n}  (raises on any mismatch)
Needs Debian's python3-cryptography; run with /usr/bin/python3.
"""
import base64
import json
import os
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC


def derive(passphrase, salt, iterations=100000):
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations)
    return kdf.derive(passphrase.encode("utf-8"))


def decrypt_v1(block, passphrase):
    key = derive(passphrase, base64.b64decode(block["salt"]))
    plaintext = AESGCM(key).decrypt(base64.b64decode(block["iv"]), base64.b64decode(block["ciphertext"]), None)
    return json.loads(plaintext.decode("utf-8"))


def encrypt_v1(obj, passphrase, salt=None, iv=None):
    salt = salt or os.urandom(16)
    iv = iv or os.urandom(12)
    # Same bytes as JSON.stringify for our data: no spaces, UTF-8 rather than \u escapes.
    plaintext = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    ciphertext = AESGCM(derive(passphrase, salt)).encrypt(iv, plaintext, None)
    b64 = lambda b: base64.b64encode(b).decode("ascii")
    return {"ciphertext": b64(ciphertext), "iv": b64(iv), "salt": b64(salt), "algo": "AES-256-GCM", "version": 1}


def check_vectors(v1, v2):
    checked = 0
    for v in v1["vectors"]:
        salt, iv = base64.b64decode(v["salt"]), base64.b64decode(v["iv"])
        assert encrypt_v1(v["plaintext"], v["passphrase"], salt, iv) == v["block"], "v1 block " + v["name"]
        assert decrypt_v1(v["block"], v["passphrase"]) == v["plaintext"], "v1 plaintext " + v["name"]
        checked += 1
    for k in v2["keyrings"]:
        w = k["wrapped"]
        kek = derive(k["passphrase"], base64.b64decode(w["kdf"]["salt"]), w["kdf"]["iterations"])
        aad = ("e2ee/v2/keyring|%s|%s" % (k["tenant_id"], w["kid"])).encode("utf-8")
        wrapped = AESGCM(kek).encrypt(base64.b64decode(k["iv"]), base64.b64decode(k["data_key"]), aad)
        assert base64.b64encode(wrapped).decode("ascii") == w["wrapped_key"]["ciphertext"], "keyring " + k["name"]
        checked += 1
    for b in v2["blocks"]:
        aad = "e2ee/v2/block|%s|%s|%s|%s|%d" % (b["tenant_id"], b["kind"], b["subject_id"], b["kid"], b["counter"])
        assert aad == b["aad"], "aad " + b["name"]
        block = b["block"]
        plaintext = AESGCM(base64.b64decode(b["data_key"])).decrypt(
            base64.b64decode(block["iv"]), base64.b64decode(block["ciphertext"]), aad.encode("utf-8"))
        assert json.loads(plaintext.decode("utf-8")) == b["plaintext"], "v2 block " + b["name"]
        checked += 1
    return checked


def main():
    request = json.load(sys.stdin)
    mode = request["mode"]
    if mode == "decrypt":
        results = []
        for block in request["blocks"]:
            try:
                results.append({"ok": decrypt_v1(block, request["passphrase"])})
            except InvalidTag:
                results.append({"error": "InvalidTag"})
        reply = {"results": results}
    elif mode == "encrypt":
        reply = {"blocks": [encrypt_v1(obj, request["passphrase"]) for obj in request["objects"]]}
    elif mode == "vectors":
        reply = {"checked": check_vectors(request["v1"], request["v2"])}
    else:
        raise SystemExit("Cannot run interop: unknown mode " + mode)
    json.dump(reply, sys.stdout)


if __name__ == "__main__":
    main()
