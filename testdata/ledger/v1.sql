PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
);
INSERT INTO schema_migrations VALUES(1,'0001_init.sql','2026-11-20T09:00:01.623456789Z');
CREATE TABLE runs (
    id                  TEXT PRIMARY KEY CHECK (length(id) = 32),
    name                TEXT,                       -- optional, not unique: a name means its newest run
    status              TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted', 'lost')),
    exit_code           INTEGER,
    signal              TEXT NOT NULL DEFAULT '',
    oom_killed          INTEGER NOT NULL DEFAULT 0,
    error               TEXT NOT NULL DEFAULT '',

    image               TEXT NOT NULL,          -- the reference as the user gave it
    image_repo          TEXT NOT NULL,
    image_tag           TEXT NOT NULL DEFAULT '',
    image_digest        TEXT NOT NULL,          -- the pullable manifest digest that ran
    image_index_digest  TEXT NOT NULL DEFAULT '',
    image_config_digest TEXT NOT NULL DEFAULT '',
    image_platform      TEXT NOT NULL DEFAULT '',

    code_dir            TEXT NOT NULL DEFAULT '',
    code_commit         TEXT NOT NULL DEFAULT '',
    code_branch         TEXT NOT NULL DEFAULT '',
    code_remote         TEXT NOT NULL DEFAULT '',
    code_dirty          INTEGER NOT NULL DEFAULT 0,
    code_changed        TEXT NOT NULL DEFAULT '[]', -- JSON array of paths
    code_mount          INTEGER NOT NULL DEFAULT 1,
    code_tree           TEXT NOT NULL DEFAULT '',   -- git tree of the dirty work tree (tracked + untracked, not ignored)
    code_patch          TEXT NOT NULL DEFAULT '',   -- sha256 of the binary patch HEAD -> code_tree, in blobs

    argv                TEXT NOT NULL,          -- JSON array
    workdir             TEXT NOT NULL DEFAULT '',
    env                 TEXT NOT NULL DEFAULT '[]', -- JSON [{name, value, secret}]; secrets have no value
    out_dir             TEXT NOT NULL DEFAULT '',
    memory              TEXT NOT NULL DEFAULT '',  -- the container's memory limit, as docker --memory
    gpu_request         TEXT NOT NULL DEFAULT '',  -- the GPUs asked for, as docker --gpus
    outputs_digest      TEXT NOT NULL DEFAULT '',
    metrics             TEXT NOT NULL DEFAULT '{}', -- JSON object: the numbers in the run's /out/metrics.json

    host_user           TEXT NOT NULL DEFAULT '',
    host_name           TEXT NOT NULL DEFAULT '',
    host_os             TEXT NOT NULL DEFAULT '',
    host_arch           TEXT NOT NULL DEFAULT '',
    gpus                TEXT NOT NULL DEFAULT '[]', -- JSON [{model, driver}]
    engine              TEXT NOT NULL DEFAULT '',
    engine_version      TEXT NOT NULL DEFAULT '',
    engine_command      TEXT NOT NULL DEFAULT '[]', -- JSON array: the exact engine argv
    repro_version       TEXT NOT NULL DEFAULT '',

    started_at          TEXT NOT NULL,
    finished_at         TEXT,
    rerun_of            TEXT REFERENCES runs(id)
);
INSERT INTO runs VALUES('4e1d2a9c000000000000000000000000',NULL,'succeeded',0,'',0,'','registry.example.com/ml/trainer:1.4','registry.example.com/ml/trainer','1.4','sha256:0000000000000000000000000000000000000000000000000000000000000000','','sha256:00000000000000000000000000000000000000000000000000000000000003e8','','/home/ada/src/model','0000000000000000000000000000000000000000','main','https://git.example.com/ml/model.git',0,'[]',1,'','','["python","train.py","--lr","0.01","--epochs","30","--seed","0"]','/workspace','[{"name":"WANDB_API_KEY","secret":true},{"name":"CUDA_VISIBLE_DEVICES","value":"0,1"},{"name":"MODE","value":"full"}]','/home/ada/runs/bf6adae7a0a8','','','sha256:0000000000000000000000000000000000000000000000000000010000000000','{"accuracy":0,"loss":0.25}','ada','gpu-node-07','linux','amd64','[{"model":"NVIDIA A100-SXM4-80GB","driver":"535.104.05"}]','docker','27.3.1','["docker","run","--name","repro-bf6adae7a0a8","--init","--sig-proxy=false","--label","repro.run=bf6adae7a0a899d0280dcc2e4570f848","--mount","type=bind,source=/home/ada/src/model,target=/workspace,readonly","--mount","type=bind,source=/datasets/train,target=/data/train,readonly","--mount","type=bind,source=/datasets/labels.csv,target=/data/labels,readonly","--mount","type=bind,source=/home/ada/runs/x,target=/out","--workdir","/workspace","--env","WANDB_API_KEY","--env","CUDA_VISIBLE_DEVICES","--env","MODE","--","registry.example.com/ml/trainer@sha256:0000000000000000000000000000000000000000000000000000000000000000","python","train.py","python","train.py","--lr","0.01","--epochs","30","--seed","0"]','','2026-11-20T09:00:00.123456789Z','2026-11-20T09:00:03.123456789Z',NULL);
INSERT INTO runs VALUES('4e1d2a9d000000000000000000000001','baseline','succeeded',0,'',0,'','registry.example.com/ml/trainer:1.4','registry.example.com/ml/trainer','1.4','sha256:0000000000000000000000000000000000000000000000000000000000000001','','sha256:00000000000000000000000000000000000000000000000000000000000003e9','','/home/ada/src/model','0000000000000000000000000000000000000001','main','https://git.example.com/ml/model.git',0,'[]',1,'','','["python","train.py","--lr","0.01","--epochs","30","--seed","1"]','/workspace','[{"name":"WANDB_API_KEY","secret":true},{"name":"CUDA_VISIBLE_DEVICES","value":"0,1"},{"name":"MODE","value":"full"}]','/home/ada/runs/19a7588046d0','','','sha256:0000000000000000000000000000000000000000000000000000010000000001','{"accuracy":0.1,"loss":0.25}','ada','gpu-node-07','linux','amd64','[{"model":"NVIDIA A100-SXM4-80GB","driver":"535.104.05"}]','docker','27.3.1','["docker","run","--name","repro-19a7588046d0","--init","--sig-proxy=false","--label","repro.run=19a7588046d04e52a161bb75c554ee61","--mount","type=bind,source=/home/ada/src/model,target=/workspace,readonly","--mount","type=bind,source=/datasets/train,target=/data/train,readonly","--mount","type=bind,source=/datasets/labels.csv,target=/data/labels,readonly","--mount","type=bind,source=/home/ada/runs/x,target=/out","--workdir","/workspace","--env","WANDB_API_KEY","--env","CUDA_VISIBLE_DEVICES","--env","MODE","--","registry.example.com/ml/trainer@sha256:0000000000000000000000000000000000000000000000000000000000000001","python","train.py","python","train.py","--lr","0.01","--epochs","30","--seed","1"]','','2026-11-20T09:01:00.123456789Z','2026-11-20T09:00:04.623456789Z',NULL);
INSERT INTO runs VALUES('4e1d2a9e000000000000000000000002',NULL,'succeeded',0,'',0,'','registry.example.com/ml/trainer:1.4','registry.example.com/ml/trainer','1.4','sha256:0000000000000000000000000000000000000000000000000000000000000002','','sha256:00000000000000000000000000000000000000000000000000000000000003ea','','/home/ada/src/model','0000000000000000000000000000000000000002','main','https://git.example.com/ml/model.git',1,'["train.py","new file.py"]',1,'cccccccccccccccccccccccccccccccccccccccc','sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd','["python","train.py","--lr","0.01","--epochs","30","--seed","2"]','/workspace','[{"name":"WANDB_API_KEY","secret":true},{"name":"CUDA_VISIBLE_DEVICES","value":"0,1"},{"name":"MODE","value":"full"}]','/home/ada/runs/336db5ff8da6','','','sha256:0000000000000000000000000000000000000000000000000000010000000002','{"accuracy":0.2,"loss":0.25}','ada','gpu-node-07','linux','amd64','[{"model":"NVIDIA A100-SXM4-80GB","driver":"535.104.05"}]','docker','27.3.1','["docker","run","--name","repro-336db5ff8da6","--init","--sig-proxy=false","--label","repro.run=336db5ff8da67e18213832cf0a6fb3fa","--mount","type=bind,source=/home/ada/src/model,target=/workspace,readonly","--mount","type=bind,source=/datasets/train,target=/data/train,readonly","--mount","type=bind,source=/datasets/labels.csv,target=/data/labels,readonly","--mount","type=bind,source=/home/ada/runs/x,target=/out","--workdir","/workspace","--env","WANDB_API_KEY","--env","CUDA_VISIBLE_DEVICES","--env","MODE","--","registry.example.com/ml/trainer@sha256:0000000000000000000000000000000000000000000000000000000000000002","python","train.py","python","train.py","--lr","0.01","--epochs","30","--seed","2"]','','2026-11-20T09:02:00.123456789Z','2026-11-20T09:00:06.123456789Z',NULL);
INSERT INTO runs VALUES('4e1d2a9f000000000000000000000003',NULL,'succeeded',0,'',0,'','registry.example.com/ml/trainer:1.4','registry.example.com/ml/trainer','1.4','sha256:0000000000000000000000000000000000000000000000000000000000000003','sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee','sha256:00000000000000000000000000000000000000000000000000000000000003eb','linux/amd64','/home/ada/src/model','0000000000000000000000000000000000000003','main','https://git.example.com/ml/model.git',0,'[]',1,'','','["python","train.py","--lr","0.01","--epochs","30","--seed","3"]','/workspace','[{"name":"WANDB_API_KEY","secret":true},{"name":"CUDA_VISIBLE_DEVICES","value":"0,1"},{"name":"MODE","value":"full"}]','/home/ada/runs/9df4294cccdd','','','sha256:0000000000000000000000000000000000000000000000000000010000000003','{"accuracy":0.3,"loss":0.25}','ada','gpu-node-07','linux','amd64','[{"model":"NVIDIA A100-SXM4-80GB","driver":"535.104.05"}]','docker','27.3.1','["docker","run","--name","repro-9df4294cccdd","--init","--sig-proxy=false","--label","repro.run=9df4294cccdd1ce9afd3bfdf874b7734","--mount","type=bind,source=/home/ada/src/model,target=/workspace,readonly","--mount","type=bind,source=/datasets/train,target=/data/train,readonly","--mount","type=bind,source=/datasets/labels.csv,target=/data/labels,readonly","--mount","type=bind,source=/home/ada/runs/x,target=/out","--workdir","/workspace","--env","WANDB_API_KEY","--env","CUDA_VISIBLE_DEVICES","--env","MODE","--","registry.example.com/ml/trainer@sha256:0000000000000000000000000000000000000000000000000000000000000003","python","train.py","python","train.py","--lr","0.01","--epochs","30","--seed","3"]','','2026-11-20T09:03:00.123456789Z','2026-11-20T09:00:07.623456789Z','4e1d2a9c000000000000000000000000');
INSERT INTO runs VALUES('4e1d2aa0000000000000000000000004',NULL,'succeeded',0,'',0,'','registry.example.com/ml/trainer:1.4','registry.example.com/ml/trainer','1.4','sha256:0000000000000000000000000000000000000000000000000000000000000004','','sha256:00000000000000000000000000000000000000000000000000000000000003ec','','/home/ada/src/model','0000000000000000000000000000000000000004','main','https://git.example.com/ml/model.git',0,'[]',1,'','','["python","train.py","--lr","0.01","--epochs","30","--seed","4"]','/workspace','[{"name":"WANDB_API_KEY","secret":true},{"name":"CUDA_VISIBLE_DEVICES","value":"0,1"},{"name":"MODE","value":"full"},{"name":"ODD","value":"a \"quoted\" \\ value\twith tab"}]','/home/ada/runs/7b7818a186da','','','sha256:0000000000000000000000000000000000000000000000000000010000000004','{"accuracy":0.4,"loss":0.25}','ada','gpu-node-07','linux','amd64','[{"model":"NVIDIA A100-SXM4-80GB","driver":"535.104.05"}]','docker','27.3.1','["docker","run","--name","repro-7b7818a186da","--init","--sig-proxy=false","--label","repro.run=7b7818a186da321198d0db631656b470","--mount","type=bind,source=/home/ada/src/model,target=/workspace,readonly","--mount","type=bind,source=/datasets/train,target=/data/train,readonly","--mount","type=bind,source=/datasets/labels.csv,target=/data/labels,readonly","--mount","type=bind,source=/home/ada/runs/x,target=/out","--workdir","/workspace","--env","WANDB_API_KEY","--env","CUDA_VISIBLE_DEVICES","--env","MODE","--","registry.example.com/ml/trainer@sha256:0000000000000000000000000000000000000000000000000000000000000004","python","train.py","python","train.py","--lr","0.01","--epochs","30","--seed","4"]','','2026-11-20T09:04:00.123456789Z','2026-11-20T09:00:09.123456789Z',NULL);
INSERT INTO runs VALUES('4e1d2aa1000000000000000000000005',NULL,'succeeded',0,'',0,'','registry.example.com/ml/trainer:1.4','registry.example.com/ml/trainer','1.4','sha256:0000000000000000000000000000000000000000000000000000000000000005','','sha256:00000000000000000000000000000000000000000000000000000000000003ed','','','','','',0,'[]',0,'','','["python","train.py","--lr","0.01","--epochs","30","--seed","5"]','/workspace','[{"name":"WANDB_API_KEY","secret":true},{"name":"CUDA_VISIBLE_DEVICES","value":"0,1"},{"name":"MODE","value":"full"}]','/home/ada/runs/0818b4e0a23f','4g','all','sha256:0000000000000000000000000000000000000000000000000000010000000005','{"accuracy":0.5,"loss":0.25}','ada','gpu-node-07','linux','amd64','[]','docker','27.3.1','["docker","run","--name","repro-0818b4e0a23f","--init","--sig-proxy=false","--label","repro.run=0818b4e0a23fbffeb34708f0e5a3d38e","--mount","type=bind,source=/home/ada/src/model,target=/workspace,readonly","--mount","type=bind,source=/datasets/train,target=/data/train,readonly","--mount","type=bind,source=/datasets/labels.csv,target=/data/labels,readonly","--mount","type=bind,source=/home/ada/runs/x,target=/out","--workdir","/workspace","--env","WANDB_API_KEY","--env","CUDA_VISIBLE_DEVICES","--env","MODE","--","registry.example.com/ml/trainer@sha256:0000000000000000000000000000000000000000000000000000000000000005","python","train.py","python","train.py","--lr","0.01","--epochs","30","--seed","5"]','','2026-11-20T09:05:00.123456789Z','2026-11-20T09:00:10.623456789Z',NULL);
INSERT INTO runs VALUES('4e1d2aa2000000000000000000000006',NULL,'failed',1,'',0,'exit status 1','registry.example.com/ml/trainer:1.4','registry.example.com/ml/trainer','1.4','sha256:0000000000000000000000000000000000000000000000000000000000000006','','sha256:00000000000000000000000000000000000000000000000000000000000003ee','','/home/ada/src/model','0000000000000000000000000000000000000006','main','https://git.example.com/ml/model.git',0,'[]',1,'','','["sh","-c","echo ''it''''s'' \"$HOME\" \u0026\u0026 exit 3","ünïcode"]','/workspace','[{"name":"WANDB_API_KEY","secret":true},{"name":"CUDA_VISIBLE_DEVICES","value":"0,1"},{"name":"MODE","value":"full"}]','/home/ada/runs/ae12ec2a5199','','','','{}','ada','gpu-node-07','linux','amd64','[{"model":"NVIDIA A100-SXM4-80GB","driver":"535.104.05"}]','docker','27.3.1','["docker","run","--name","repro-ae12ec2a5199","--init","--sig-proxy=false","--label","repro.run=ae12ec2a5199f22cf1a0d4bda221c8f4","--mount","type=bind,source=/home/ada/src/model,target=/workspace,readonly","--mount","type=bind,source=/datasets/train,target=/data/train,readonly","--mount","type=bind,source=/datasets/labels.csv,target=/data/labels,readonly","--mount","type=bind,source=/home/ada/runs/x,target=/out","--workdir","/workspace","--env","WANDB_API_KEY","--env","CUDA_VISIBLE_DEVICES","--env","MODE","--","registry.example.com/ml/trainer@sha256:0000000000000000000000000000000000000000000000000000000000000006","python","train.py","sh","-c","echo ''it''''s'' \"$HOME\" \u0026\u0026 exit 3","ünïcode"]','','2026-11-20T09:06:00.123456789Z','2026-11-20T09:00:12.123456789Z',NULL);
INSERT INTO runs VALUES('4e1d2aa3000000000000000000000007',NULL,'interrupted',NULL,'SIGINT',0,'','registry.example.com/ml/trainer:1.4','registry.example.com/ml/trainer','1.4','sha256:0000000000000000000000000000000000000000000000000000000000000007','','sha256:00000000000000000000000000000000000000000000000000000000000003ef','','/home/ada/src/model','0000000000000000000000000000000000000007','main','https://git.example.com/ml/model.git',0,'[]',1,'','','["python","train.py","--lr","0.01","--epochs","30","--seed","7"]','/workspace','[{"name":"WANDB_API_KEY","secret":true},{"name":"CUDA_VISIBLE_DEVICES","value":"0,1"},{"name":"MODE","value":"full"}]','/home/ada/runs/689913757d22','','','','{}','ada','gpu-node-07','linux','amd64','[{"model":"NVIDIA A100-SXM4-80GB","driver":"535.104.05"}]','docker','27.3.1','["docker","run","--name","repro-689913757d22","--init","--sig-proxy=false","--label","repro.run=689913757d2225da1cf471faf0818cce","--mount","type=bind,source=/home/ada/src/model,target=/workspace,readonly","--mount","type=bind,source=/datasets/train,target=/data/train,readonly","--mount","type=bind,source=/datasets/labels.csv,target=/data/labels,readonly","--mount","type=bind,source=/home/ada/runs/x,target=/out","--workdir","/workspace","--env","WANDB_API_KEY","--env","CUDA_VISIBLE_DEVICES","--env","MODE","--","registry.example.com/ml/trainer@sha256:0000000000000000000000000000000000000000000000000000000000000007","python","train.py","python","train.py","--lr","0.01","--epochs","30","--seed","7"]','','2026-11-20T09:07:00.123456789Z','2026-11-20T09:00:13.623456789Z',NULL);
INSERT INTO runs VALUES('4e1d2aa4000000000000000000000008',NULL,'failed',137,'',1,'','registry.example.com/ml/trainer:1.4','registry.example.com/ml/trainer','1.4','sha256:0000000000000000000000000000000000000000000000000000000000000008','','sha256:00000000000000000000000000000000000000000000000000000000000003f0','','/home/ada/src/model','0000000000000000000000000000000000000008','main','https://git.example.com/ml/model.git',0,'[]',1,'','','["python","train.py","--lr","0.01","--epochs","30","--seed","8"]','/workspace','[{"name":"WANDB_API_KEY","secret":true},{"name":"CUDA_VISIBLE_DEVICES","value":"0,1"},{"name":"MODE","value":"full"}]','/home/ada/runs/f58ed999cde4','','','','{}','ada','gpu-node-07','linux','amd64','[{"model":"NVIDIA A100-SXM4-80GB","driver":"535.104.05"}]','docker','27.3.1','["docker","run","--name","repro-f58ed999cde4","--init","--sig-proxy=false","--label","repro.run=f58ed999cde4d9aed71b24d472af0c0a","--mount","type=bind,source=/home/ada/src/model,target=/workspace,readonly","--mount","type=bind,source=/datasets/train,target=/data/train,readonly","--mount","type=bind,source=/datasets/labels.csv,target=/data/labels,readonly","--mount","type=bind,source=/home/ada/runs/x,target=/out","--workdir","/workspace","--env","WANDB_API_KEY","--env","CUDA_VISIBLE_DEVICES","--env","MODE","--","registry.example.com/ml/trainer@sha256:0000000000000000000000000000000000000000000000000000000000000008","python","train.py","python","train.py","--lr","0.01","--epochs","30","--seed","8"]','','2026-11-20T09:08:00.123456789Z','2026-11-20T09:00:15.123456789Z',NULL);
INSERT INTO runs VALUES('4e1d2aa5000000000000000000000009',NULL,'lost',NULL,'',0,'the container is gone','registry.example.com/ml/trainer:1.4','registry.example.com/ml/trainer','1.4','sha256:0000000000000000000000000000000000000000000000000000000000000009','','sha256:00000000000000000000000000000000000000000000000000000000000003f1','','/home/ada/src/model','0000000000000000000000000000000000000009','main','https://git.example.com/ml/model.git',0,'[]',1,'','','["python","train.py","--lr","0.01","--epochs","30","--seed","9"]','/workspace','[{"name":"WANDB_API_KEY","secret":true},{"name":"CUDA_VISIBLE_DEVICES","value":"0,1"},{"name":"MODE","value":"full"}]','/home/ada/runs/4d7d73eefa37','','','','{}','ada','gpu-node-07','linux','amd64','[{"model":"NVIDIA A100-SXM4-80GB","driver":"535.104.05"}]','docker','27.3.1','["docker","run","--name","repro-4d7d73eefa37","--init","--sig-proxy=false","--label","repro.run=4d7d73eefa371db8a9edf73afe08817e","--mount","type=bind,source=/home/ada/src/model,target=/workspace,readonly","--mount","type=bind,source=/datasets/train,target=/data/train,readonly","--mount","type=bind,source=/datasets/labels.csv,target=/data/labels,readonly","--mount","type=bind,source=/home/ada/runs/x,target=/out","--workdir","/workspace","--env","WANDB_API_KEY","--env","CUDA_VISIBLE_DEVICES","--env","MODE","--","registry.example.com/ml/trainer@sha256:0000000000000000000000000000000000000000000000000000000000000009","python","train.py","python","train.py","--lr","0.01","--epochs","30","--seed","9"]','','2026-11-20T09:09:00.123456789Z','2026-11-20T09:00:16.623456789Z',NULL);
INSERT INTO runs VALUES('4e1d2aa600000000000000000000000a',NULL,'succeeded',0,'',0,'','registry.example.com/ml/trainer:1.4','registry.example.com/ml/trainer','1.4','sha256:000000000000000000000000000000000000000000000000000000000000000a','','sha256:00000000000000000000000000000000000000000000000000000000000003f2','','/home/ada/src/model','000000000000000000000000000000000000000a','main','https://git.example.com/ml/model.git',0,'[]',1,'','','["python","train.py","--lr","0.01","--epochs","30","--seed","10"]','/workspace','[{"name":"WANDB_API_KEY","secret":true},{"name":"CUDA_VISIBLE_DEVICES","value":"0,1"},{"name":"MODE","value":"full"}]','/home/ada/runs/de1bd32329f7','','','sha256:000000000000000000000000000000000000000000000000000001000000000a','{"accuracy":1,"loss":0.25}','ada','gpu-node-07','linux','amd64','[{"model":"NVIDIA A100-SXM4-80GB","driver":"535.104.05"}]','docker','27.3.1','["docker","run","--name","repro-de1bd32329f7","--init","--sig-proxy=false","--label","repro.run=de1bd32329f73828e4d86abfbd27fc63","--mount","type=bind,source=/home/ada/src/model,target=/workspace,readonly","--mount","type=bind,source=/datasets/train,target=/data/train,readonly","--mount","type=bind,source=/datasets/labels.csv,target=/data/labels,readonly","--mount","type=bind,source=/home/ada/runs/x,target=/out","--workdir","/workspace","--env","WANDB_API_KEY","--env","CUDA_VISIBLE_DEVICES","--env","MODE","--","registry.example.com/ml/trainer@sha256:000000000000000000000000000000000000000000000000000000000000000a","python","train.py","python","train.py","--lr","0.01","--epochs","30","--seed","10"]','','2026-11-20T09:10:00.123456789Z','2026-11-20T09:00:18.123456789Z',NULL);
INSERT INTO runs VALUES('4e1d2aa700000000000000000000000b',NULL,'running',NULL,'',0,'','registry.example.com/ml/trainer:1.4','registry.example.com/ml/trainer','1.4','sha256:000000000000000000000000000000000000000000000000000000000000000b','','sha256:00000000000000000000000000000000000000000000000000000000000003f3','','/home/ada/src/model','000000000000000000000000000000000000000b','main','https://git.example.com/ml/model.git',0,'[]',1,'','','["python","train.py","--lr","0.01","--epochs","30","--seed","11"]','/workspace','[{"name":"WANDB_API_KEY","secret":true},{"name":"CUDA_VISIBLE_DEVICES","value":"0,1"},{"name":"MODE","value":"full"}]','/home/ada/runs/f8e4429d5360','','','','{}','ada','gpu-node-07','linux','amd64','[{"model":"NVIDIA A100-SXM4-80GB","driver":"535.104.05"}]','docker','27.3.1','["docker","run","--name","repro-f8e4429d5360","--init","--sig-proxy=false","--label","repro.run=f8e4429d5360cf731e668b83f01d1782","--mount","type=bind,source=/home/ada/src/model,target=/workspace,readonly","--mount","type=bind,source=/datasets/train,target=/data/train,readonly","--mount","type=bind,source=/datasets/labels.csv,target=/data/labels,readonly","--mount","type=bind,source=/home/ada/runs/x,target=/out","--workdir","/workspace","--env","WANDB_API_KEY","--env","CUDA_VISIBLE_DEVICES","--env","MODE","--","registry.example.com/ml/trainer@sha256:000000000000000000000000000000000000000000000000000000000000000b","python","train.py","python","train.py","--lr","0.01","--epochs","30","--seed","11"]','','2026-11-20T09:11:00.123456789Z',NULL,NULL);
CREATE TABLE datasets (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    path   TEXT NOT NULL,
    kind   TEXT NOT NULL CHECK (kind IN ('dir', 'file')),
    digest TEXT NOT NULL,
    files  INTEGER NOT NULL,
    bytes  INTEGER NOT NULL,
    PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
INSERT INTO datasets VALUES('4e1d2a9c000000000000000000000000','labels','/datasets/labels.csv','file','sha256:0000000000000000000000000000000000000000000000000000000000002328',1,1048576);
INSERT INTO datasets VALUES('4e1d2a9c000000000000000000000000','train','/datasets/train','dir','sha256:0000000000000000000000000000000000000000000000000000000000001388',100000,2147483648);
INSERT INTO datasets VALUES('4e1d2a9d000000000000000000000001','labels','/datasets/labels.csv','file','sha256:0000000000000000000000000000000000000000000000000000000000002329',1,1048576);
INSERT INTO datasets VALUES('4e1d2a9d000000000000000000000001','train','/datasets/train','dir','sha256:0000000000000000000000000000000000000000000000000000000000001389',100000,2147483648);
INSERT INTO datasets VALUES('4e1d2a9e000000000000000000000002','labels','/datasets/labels.csv','file','sha256:000000000000000000000000000000000000000000000000000000000000232a',1,1048576);
INSERT INTO datasets VALUES('4e1d2a9e000000000000000000000002','train','/datasets/train','dir','sha256:000000000000000000000000000000000000000000000000000000000000138a',100000,2147483648);
INSERT INTO datasets VALUES('4e1d2a9f000000000000000000000003','labels','/datasets/labels.csv','file','sha256:000000000000000000000000000000000000000000000000000000000000232b',1,1048576);
INSERT INTO datasets VALUES('4e1d2a9f000000000000000000000003','train','/datasets/train','dir','sha256:000000000000000000000000000000000000000000000000000000000000138b',100000,2147483648);
INSERT INTO datasets VALUES('4e1d2aa0000000000000000000000004','labels','/datasets/labels.csv','file','sha256:000000000000000000000000000000000000000000000000000000000000232c',1,1048576);
INSERT INTO datasets VALUES('4e1d2aa0000000000000000000000004','prev','/home/ada/runs/x','dir','sha256:0000000000000000000000000000000000000000000000000000010000000002',2,300);
INSERT INTO datasets VALUES('4e1d2aa0000000000000000000000004','train','/datasets/train','dir','sha256:000000000000000000000000000000000000000000000000000000000000138c',100000,2147483648);
INSERT INTO datasets VALUES('4e1d2aa1000000000000000000000005','labels','/datasets/labels.csv','file','sha256:000000000000000000000000000000000000000000000000000000000000232d',1,1048576);
INSERT INTO datasets VALUES('4e1d2aa1000000000000000000000005','train','/datasets/train','dir','sha256:000000000000000000000000000000000000000000000000000000000000138d',100000,2147483648);
INSERT INTO datasets VALUES('4e1d2aa2000000000000000000000006','labels','/datasets/labels.csv','file','sha256:000000000000000000000000000000000000000000000000000000000000232e',1,1048576);
INSERT INTO datasets VALUES('4e1d2aa2000000000000000000000006','train','/datasets/train','dir','sha256:000000000000000000000000000000000000000000000000000000000000138e',100000,2147483648);
INSERT INTO datasets VALUES('4e1d2aa3000000000000000000000007','labels','/datasets/labels.csv','file','sha256:000000000000000000000000000000000000000000000000000000000000232f',1,1048576);
INSERT INTO datasets VALUES('4e1d2aa3000000000000000000000007','train','/datasets/train','dir','sha256:000000000000000000000000000000000000000000000000000000000000138f',100000,2147483648);
INSERT INTO datasets VALUES('4e1d2aa4000000000000000000000008','labels','/datasets/labels.csv','file','sha256:0000000000000000000000000000000000000000000000000000000000002330',1,1048576);
INSERT INTO datasets VALUES('4e1d2aa4000000000000000000000008','train','/datasets/train','dir','sha256:0000000000000000000000000000000000000000000000000000000000001390',100000,2147483648);
INSERT INTO datasets VALUES('4e1d2aa5000000000000000000000009','labels','/datasets/labels.csv','file','sha256:0000000000000000000000000000000000000000000000000000000000002331',1,1048576);
INSERT INTO datasets VALUES('4e1d2aa5000000000000000000000009','train','/datasets/train','dir','sha256:0000000000000000000000000000000000000000000000000000000000001391',100000,2147483648);
INSERT INTO datasets VALUES('4e1d2aa600000000000000000000000a','labels','/datasets/labels.csv','file','sha256:0000000000000000000000000000000000000000000000000000000000002332',1,1048576);
INSERT INTO datasets VALUES('4e1d2aa600000000000000000000000a','train','/datasets/train','dir','sha256:0000000000000000000000000000000000000000000000000000000000001392',100000,2147483648);
INSERT INTO datasets VALUES('4e1d2aa700000000000000000000000b','labels','/datasets/labels.csv','file','sha256:0000000000000000000000000000000000000000000000000000000000002333',1,1048576);
INSERT INTO datasets VALUES('4e1d2aa700000000000000000000000b','train','/datasets/train','dir','sha256:0000000000000000000000000000000000000000000000000000000000001393',100000,2147483648);
CREATE TABLE outputs (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    path   TEXT NOT NULL,
    digest TEXT NOT NULL,
    bytes  INTEGER NOT NULL,
    PRIMARY KEY (run_id, path)
) WITHOUT ROWID;
INSERT INTO outputs VALUES('4e1d2a9c000000000000000000000000','metrics.json','sha256:0000000000000000000000000000000000000000000000000000040000000000',200);
INSERT INTO outputs VALUES('4e1d2a9c000000000000000000000000','model.bin','sha256:0000000000000000000000000000000000000000000000000000020000000000',268435456);
INSERT INTO outputs VALUES('4e1d2a9d000000000000000000000001','metrics.json','sha256:0000000000000000000000000000000000000000000000000000040000000001',200);
INSERT INTO outputs VALUES('4e1d2a9d000000000000000000000001','model.bin','sha256:0000000000000000000000000000000000000000000000000000020000000001',268435456);
INSERT INTO outputs VALUES('4e1d2a9e000000000000000000000002','metrics.json','sha256:0000000000000000000000000000000000000000000000000000040000000002',200);
INSERT INTO outputs VALUES('4e1d2a9e000000000000000000000002','model.bin','sha256:0000000000000000000000000000000000000000000000000000020000000002',268435456);
INSERT INTO outputs VALUES('4e1d2a9f000000000000000000000003','metrics.json','sha256:0000000000000000000000000000000000000000000000000000040000000003',200);
INSERT INTO outputs VALUES('4e1d2a9f000000000000000000000003','model.bin','sha256:0000000000000000000000000000000000000000000000000000020000000003',268435456);
INSERT INTO outputs VALUES('4e1d2aa0000000000000000000000004','metrics.json','sha256:0000000000000000000000000000000000000000000000000000040000000004',200);
INSERT INTO outputs VALUES('4e1d2aa0000000000000000000000004','model.bin','sha256:0000000000000000000000000000000000000000000000000000020000000004',268435456);
INSERT INTO outputs VALUES('4e1d2aa1000000000000000000000005','metrics.json','sha256:0000000000000000000000000000000000000000000000000000040000000005',200);
INSERT INTO outputs VALUES('4e1d2aa1000000000000000000000005','model.bin','sha256:0000000000000000000000000000000000000000000000000000020000000005',268435456);
INSERT INTO outputs VALUES('4e1d2aa600000000000000000000000a','metrics.json','sha256:000000000000000000000000000000000000000000000000000004000000000a',200);
INSERT INTO outputs VALUES('4e1d2aa600000000000000000000000a','model.bin','sha256:000000000000000000000000000000000000000000000000000002000000000a',268435456);
CREATE TABLE run_labels (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
INSERT INTO run_labels VALUES('4e1d2a9d000000000000000000000001','sweep','lr');
INSERT INTO run_labels VALUES('4e1d2a9d000000000000000000000001','team','vision');
CREATE TABLE images (
    digest        TEXT PRIMARY KEY,
    repository    TEXT NOT NULL,
    media_type    TEXT NOT NULL DEFAULT '',
    labels        TEXT NOT NULL DEFAULT '{}', -- JSON object
    base_name     TEXT NOT NULL DEFAULT '',
    base_digest   TEXT NOT NULL DEFAULT '',
    source_commit TEXT NOT NULL DEFAULT '',
    created       TEXT NOT NULL DEFAULT '',
    recorded_at   TEXT NOT NULL
);
INSERT INTO images VALUES('sha256:0000000000000000000000000000000000000000000000000000000000000000','registry.example.com/ml/trainer','','{"org.opencontainers.image.source":"https://git.example.com/ml/model.git"}','scratch','','0000000000000000000000000000000000000000','','2026-11-20T09:00:19.623456789Z');
CREATE TABLE tag_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    repository TEXT NOT NULL,
    tag        TEXT NOT NULL,
    digest     TEXT NOT NULL,
    action     TEXT NOT NULL CHECK (action IN ('push', 'promote', 'resolve')),
    at         TEXT NOT NULL
);
INSERT INTO tag_events VALUES(1,'registry.example.com/ml/trainer','1.4','sha256:0000000000000000000000000000000000000000000000000000000000000000','push','2026-11-20T09:00:19.623456789Z');
CREATE TABLE chain (
    seq    INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL UNIQUE REFERENCES runs(id),
    prev   TEXT NOT NULL,
    hash   TEXT NOT NULL
);
INSERT INTO chain VALUES(1,'4e1d2a9c000000000000000000000000','','sha256:ce90be241f8b0d327bb2815f86b0146e9ae077050b9847678b3fa19bba4fedf0');
INSERT INTO chain VALUES(2,'4e1d2a9d000000000000000000000001','sha256:ce90be241f8b0d327bb2815f86b0146e9ae077050b9847678b3fa19bba4fedf0','sha256:ca1213c9e6f0c21252c6d6435dad6933a068d1d26229f8831a1a9f4c054b1929');
INSERT INTO chain VALUES(3,'4e1d2a9e000000000000000000000002','sha256:ca1213c9e6f0c21252c6d6435dad6933a068d1d26229f8831a1a9f4c054b1929','sha256:4819799dbedf1b35c3c27dd1b48294699d1fdc65230195eae2e346cc9dd3fe00');
INSERT INTO chain VALUES(4,'4e1d2a9f000000000000000000000003','sha256:4819799dbedf1b35c3c27dd1b48294699d1fdc65230195eae2e346cc9dd3fe00','sha256:64d27955e47831f2d22639837bf5c5b9cf8e9bd90d38622988c5cf035d63338a');
INSERT INTO chain VALUES(5,'4e1d2aa0000000000000000000000004','sha256:64d27955e47831f2d22639837bf5c5b9cf8e9bd90d38622988c5cf035d63338a','sha256:778a17c2778eb8221644dae976b2436faa02e6484210c9bea4a1542c19064ea4');
INSERT INTO chain VALUES(6,'4e1d2aa1000000000000000000000005','sha256:778a17c2778eb8221644dae976b2436faa02e6484210c9bea4a1542c19064ea4','sha256:127247193670388b9a5c64a081a400aa90a686e91af73d3f7ee6558337270ce6');
INSERT INTO chain VALUES(7,'4e1d2aa2000000000000000000000006','sha256:127247193670388b9a5c64a081a400aa90a686e91af73d3f7ee6558337270ce6','sha256:269159f63ea47f19ced0d886c04e9a3ac0ca441272de3864a7d7decdd697a796');
INSERT INTO chain VALUES(8,'4e1d2aa3000000000000000000000007','sha256:269159f63ea47f19ced0d886c04e9a3ac0ca441272de3864a7d7decdd697a796','sha256:00b1bc66d59eb6c83b90dd3855e36e22881b8a0a9d1efdc3365304c1ae05908a');
INSERT INTO chain VALUES(9,'4e1d2aa4000000000000000000000008','sha256:00b1bc66d59eb6c83b90dd3855e36e22881b8a0a9d1efdc3365304c1ae05908a','sha256:13868f2929fc920d41bf532fe1259b8a4af8b402c40843aff2ac7fe74d703228');
INSERT INTO chain VALUES(10,'4e1d2aa5000000000000000000000009','sha256:13868f2929fc920d41bf532fe1259b8a4af8b402c40843aff2ac7fe74d703228','sha256:dbaad25b6568a4c1a4d14ec6149667e38044c30119478eb40a2760797d634796');
INSERT INTO chain VALUES(11,'4e1d2aa600000000000000000000000a','sha256:dbaad25b6568a4c1a4d14ec6149667e38044c30119478eb40a2760797d634796','sha256:26406dbbac0f84cb65a50375792172b47e9114a83bbc017e548362333f3f20c7');
CREATE TABLE blobs (
    digest TEXT PRIMARY KEY,
    kind   TEXT NOT NULL CHECK (kind IN ('patch', 'listing')),
    size   INTEGER NOT NULL,
    data   BLOB NOT NULL
);
INSERT INTO blobs VALUES('sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd','patch',33,X'1f8b08000000000000ff4ac94c4b53d0d54dcf2c5148d42f294accccd32ba854488233b900010000ffffae3cc92c21000000');
INSERT INTO blobs VALUES('sha256:0000000000000000000000000000000000000000000000000000010000000002','listing',17,X'1f8b08000000000000ff4a4c4a5650d0d3cfcd4f49cdd14bcacce302040000ffffb698d9ac11000000');
CREATE TABLE file_hashes (
    root       TEXT PRIMARY KEY,   -- the dataset directory, absolute
    data       BLOB NOT NULL,
    updated_at TEXT NOT NULL
);
ANALYZE sqlite_schema;
INSERT INTO sqlite_stat1 VALUES('blobs','sqlite_autoindex_blobs_1','2 1');
INSERT INTO sqlite_stat1 VALUES('chain','sqlite_autoindex_chain_1','11 1');
INSERT INTO sqlite_stat1 VALUES('images','images_repository','1 1');
INSERT INTO sqlite_stat1 VALUES('images','sqlite_autoindex_images_1','1 1');
INSERT INTO sqlite_stat1 VALUES('tag_events','tag_events_digest','1 1');
INSERT INTO sqlite_stat1 VALUES('tag_events','tag_events_lookup','1 1 1 1');
INSERT INTO sqlite_stat1 VALUES('run_labels','run_labels_kv','2 1 1');
INSERT INTO sqlite_stat1 VALUES('run_labels','run_labels','2 2 1');
INSERT INTO sqlite_stat1 VALUES('outputs','outputs_digest','14 1');
INSERT INTO sqlite_stat1 VALUES('outputs','outputs','14 2 1');
INSERT INTO sqlite_stat1 VALUES('runs','runs_running','1 1');
INSERT INTO sqlite_stat1 VALUES('runs','runs_rerun_of','1 1');
INSERT INTO sqlite_stat1 VALUES('runs','runs_name','1 1 1');
INSERT INTO sqlite_stat1 VALUES('runs','runs_outputs_digest','7 1');
INSERT INTO sqlite_stat1 VALUES('runs','runs_code_commit','12 1 1');
INSERT INTO sqlite_stat1 VALUES('runs','runs_image_index_digest','1 1 1');
INSERT INTO sqlite_stat1 VALUES('runs','runs_image_digest','12 1 1');
INSERT INTO sqlite_stat1 VALUES('runs','runs_started_at','12 1');
INSERT INTO sqlite_stat1 VALUES('runs','sqlite_autoindex_runs_1','12 1');
INSERT INTO sqlite_stat1 VALUES('datasets','datasets_name','25 9 1');
INSERT INTO sqlite_stat1 VALUES('datasets','datasets_digest','25 1 1');
INSERT INTO sqlite_stat1 VALUES('datasets','datasets','25 3 1');
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('tag_events',1);
CREATE INDEX runs_started_at ON runs(started_at);
CREATE INDEX runs_image_digest ON runs(image_digest, started_at);
CREATE INDEX runs_image_index_digest ON runs(image_index_digest, started_at) WHERE image_index_digest != '';
CREATE INDEX runs_code_commit ON runs(code_commit, started_at);
CREATE INDEX runs_outputs_digest ON runs(outputs_digest) WHERE outputs_digest != '';
CREATE INDEX runs_name ON runs(name, started_at) WHERE name IS NOT NULL;
CREATE INDEX runs_rerun_of ON runs(rerun_of) WHERE rerun_of IS NOT NULL;
CREATE INDEX runs_running ON runs(status) WHERE status = 'running';
CREATE INDEX datasets_digest ON datasets(digest, run_id);
CREATE INDEX datasets_name ON datasets(name, run_id);
CREATE INDEX outputs_digest ON outputs(digest);
CREATE INDEX run_labels_kv ON run_labels(key, value);
CREATE INDEX images_repository ON images(repository);
CREATE INDEX tag_events_lookup ON tag_events(repository, tag, at);
CREATE INDEX tag_events_digest ON tag_events(digest);
COMMIT;
PRAGMA user_version=1;
