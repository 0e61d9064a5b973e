import json, urllib.request, sys, time
base='http://127.0.0.1:38082/apis/ccompat/v7'
env=json.load(open('test/fixtures/avro/debezium-customers-value-v1.avsc'))
def try_schema(name, schema):
    subj=f'bisect-{name}-{time.time()}'
    req=urllib.request.Request(f'{base}/subjects/{subj}/versions', data=json.dumps({'schema': json.dumps(schema)}).encode(), headers={'content-type':'application/json'})
    i=json.load(urllib.request.urlopen(req))['id']
    try:
        urllib.request.urlopen(f'{base}/schemas/ids/{i}').read(); print(name,'OK')
    except Exception as e: print(name,'FAIL', e)
import copy
try_schema('full', env)
e=copy.deepcopy(env); vf=e['fields'][0]['type'][1]['fields']; e['fields'][0]['type'][1]['fields']=[f for f in vf if f['name']!='balance']; try_schema('no-decimal', e)
e=copy.deepcopy(env); sf=e['fields'][2]['type']['fields']; e['fields'][2]['type']['fields']=[f for f in sf if f['name']!='snapshot']; try_schema('no-snapshot', e)
e=copy.deepcopy(env); e['fields']=[f for f in e['fields'] if f['name']!='transaction']; try_schema('no-transaction', e)
e=copy.deepcopy(env); vf=e['fields'][0]['type'][1]['fields']; e['fields'][0]['type'][1]['fields']=[f for f in vf if f['name'] not in ('updated_on',)]; try_schema('no-ts-millis', e)
print('---')
simple={"type":"record","name":"Envelope","namespace":"x","fields":[{"name":"before","type":["null",{"type":"record","name":"Value","fields":[{"name":"id","type":"int"}]}],"default":None},{"name":"after","type":["null","Value"],"default":None}]}
try_schema('named-ref', simple)
s2={"type":"record","name":"Envelope","namespace":"x","fields":[{"name":"before","type":["null",{"type":"record","name":"Value","fields":[{"name":"id","type":"int"}]}],"default":None}]}
try_schema('no-ref', s2)
s3={"type":"record","name":"Envelope","namespace":"x","fields":[{"name":"op","type":"string"},{"name":"ts_ms","type":["null","long"],"default":None}]}
try_schema('flat-union', s3)
